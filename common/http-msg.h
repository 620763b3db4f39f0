/* The protocol-neutral representation of an HTTP message head, shared by
 * the HTTP/1.x mux (common/h1.c) and the stream's HTTP analysers: start
 * line parts and header fields as (pointer, length) slices. Slices point
 * into the buffer the head was parsed from, or into storage owned by the
 * transaction for fields the analysers add; the message never owns memory.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct ist {
	const char *p;
	uint32_t len;
};

enum http_meth {
	HTTP_METH_OTHER = 0,
	HTTP_METH_GET,
	HTTP_METH_HEAD,
	HTTP_METH_POST,
	HTTP_METH_PUT,
	HTTP_METH_DELETE,
	HTTP_METH_CONNECT,
	HTTP_METH_OPTIONS,
	HTTP_METH_TRACE,
	HTTP_METH_PATCH,
};

/* A header field; a deleted one has n.len == 0 and is skipped. */
struct http_hdr {
	struct ist n, v;
};

/* http_msg.flags */
#define HMF_RESP 0x0001       /* a response */
#define HMF_CL 0x0002         /* Content-Length given (body.left) */
#define HMF_CHUNKED 0x0004    /* Transfer-Encoding ends with chunked */
#define HMF_TE 0x0008         /* Transfer-Encoding present */
#define HMF_CONN_CLOSE 0x0010 /* Connection: close */
#define HMF_CONN_KAL 0x0020   /* Connection: keep-alive */
#define HMF_CONN_UPG 0x0040   /* Connection: upgrade */
#define HMF_UPGRADE 0x0080    /* an Upgrade header is present */
#define HMF_EXPECT_100 0x0100 /* Expect: 100-continue */
#define HMF_CL_TE 0x0200      /* had both CL and TE: CL dropped, close after */
#define HMF_VER11 0x0400      /* version 1.1 or later (else 1.0) */
#define HMF_TE_OTHER 0x0800   /* a transfer coding other than chunked */

/* Body framing of a message. */
enum http_body_mode {
	HB_NONE = 0, /* no body */
	HB_CL,       /* Content-Length bytes */
	HB_CHUNKED,  /* chunked transfer coding, then trailers */
	HB_CLOSE,    /* until the sender closes (responses only) */
	HB_TUNNEL,   /* bytes in both directions until close (101, CONNECT 2xx) */
};

/* Body scanning state (common/h1.c h1_body_scan). */
struct http_body {
	enum http_body_mode mode;
	uint64_t left;  /* HB_CL: bytes left; HB_CHUNKED: bytes left in chunk */
	int cstate;     /* chunked parser state */
	int digits;     /* hex digits of the current chunk size */
	uint32_t tlen;  /* length of the current trailer line */
	int done;       /* the whole body was seen */
	uint64_t total; /* body bytes seen, framing included */
	long err_pos;
};

struct http_msg {
	unsigned flags; /* HMF_* */
	enum http_meth meth;
	struct ist meth_s; /* request: method as sent */
	struct ist uri;    /* request: request-target */
	struct ist reason; /* response: reason phrase */
	int vmaj, vmin;
	int status; /* response: status code */
	struct http_hdr *hdrs;
	int nhdrs, maxhdrs;
	uint64_t content_len;
	struct http_body body;
	uint32_t head_len; /* bytes of the head on the wire, after <skip> */
	int line_done;     /* the start line was complete */
	uint32_t skip;     /* bytes of empty lines before the request line */
	int err_status;    /* when parsing failed: status to answer */
	long err_pos;      /* and offset of the offending byte */
};

/* Case-insensitive comparison of a header name with lower-case <lname>. */
int http_name_is(struct ist n, const char *lname);

/* Returns the index of the first live header named <lname> at or after
 * <from>, or -1.
 */
int http_find_hdr(const struct http_msg *m, const char *lname, int from);

/* Marks every header named <lname> deleted; returns how many. */
int http_del_hdr(struct http_msg *m, const char *lname);

/* Appends a header; returns -1 when the message has no free slot. */
int http_add_hdr(struct http_msg *m, struct ist n, struct ist v);

/* Method from its name, HTTP_METH_OTHER when not a well-known one. */
enum http_meth http_meth_of(struct ist s);
