/* Character helpers shared by parsers and converters. */
#pragma once

/* The value of hexadecimal digit <c>, or -1. */
static inline int hex_digit(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}
