/* Text of "show ssl cert <file>" (worker/tls-show.c). */
#pragma once

struct strbuf;
struct tls_cert;

/* Appends the details of certificate <c> (NULL: an empty entry) shown as
 * <name>, "Used" when bind lines serve it, to <o>. Nothing about the key.
 */
void tls_show_cert(struct strbuf *o, const char *name, const struct tls_cert *c, int used);

/* Appends the lines from "Serial:" to "Issuer:" about certificate <x509>
 * (an X509 *) to <o>.
 */
void tls_show_x509(struct strbuf *o, void *x509);
