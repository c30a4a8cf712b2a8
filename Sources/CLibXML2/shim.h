#ifndef BEIAN_LIBXML2_SHIM_H
#define BEIAN_LIBXML2_SHIM_H
// libxml2 built with ICU would pull in the system's ICU headers, which clash with the copy
// of ICU inside Foundation. Nothing here uses libxml2's ICU converters, and the structs that
// change with the flag are only handled through pointers.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#endif
