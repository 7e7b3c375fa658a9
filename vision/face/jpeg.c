//go:build vision

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "jpeg.h"

// libjpeg's default error handler exits the process; this one jumps back
// with the message instead.
struct strict_error {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	char *msg;
	int cap;
};

static void error_exit(j_common_ptr c) {
	struct strict_error *e = (struct strict_error *)c->err;
	char buf[JMSG_LENGTH_MAX];
	(*c->err->format_message)(c, buf);
	snprintf(e->msg, e->cap, "%s", buf);
	longjmp(e->jump, 1);
}

// A file cut short would decode with a grey bottom: those warnings are
// errors. Others (extraneous bytes, which some cameras send) are not.
static void emit_message(j_common_ptr c, int level) {
	if (level < 0 && (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER)) error_exit(c);
}

int rg_jpeg_decode_bgr(const unsigned char *buf, unsigned long len, unsigned char *out, int *w, int *h, char *msg, int cap) {
	struct jpeg_decompress_struct d;
	struct strict_error e = {.msg = msg, .cap = cap};
	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = error_exit;
	e.pub.emit_message = emit_message;
	if (setjmp(e.jump)) {
		jpeg_destroy_decompress(&d);
		return -1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, buf, len);
	jpeg_read_header(&d, TRUE);
	if (out == NULL) {
		*w = d.image_width;
		*h = d.image_height;
		jpeg_destroy_decompress(&d);
		return 0;
	}
	d.out_color_space = JCS_EXT_BGR;
	jpeg_start_decompress(&d);
	if ((int)d.output_width != *w || (int)d.output_height != *h || d.output_components != 3) {
		snprintf(msg, cap, "decodes to %ux%u, not the %dx%d its header said", d.output_width, d.output_height, *w, *h);
		jpeg_destroy_decompress(&d);
		return -1;
	}
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = out + (size_t)d.output_scanline * 3 * *w;
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return 0;
}

int rg_jpeg_encode(const unsigned char *in, int w, int h, int channels, int quality, unsigned char **out, unsigned long *out_len, char *msg, int cap) {
	struct jpeg_compress_struct c;
	struct strict_error e = {.msg = msg, .cap = cap};
	*out = NULL;
	*out_len = 0;
	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = error_exit;
	if (setjmp(e.jump)) {
		jpeg_destroy_compress(&c);
		free(*out);
		*out = NULL;
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, out, out_len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = channels;
	c.in_color_space = channels == 3 ? JCS_EXT_BGR : JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(in + (size_t)c.next_scanline * channels * w);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}
