// Cairo (2D drawing to PNG, SVG and PDF), found with pkg-config; never vendored.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
