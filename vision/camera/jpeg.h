// Motion JPEG frames decoded by libjpeg-turbo straight into a BGR buffer.
int rg_jpeg_size(const unsigned char *buf, unsigned long len, int *w, int *h, char *msg, int cap);
int rg_jpeg_decode_bgr(const unsigned char *buf, unsigned long len, unsigned char *out, int w, int h, int stride, char *msg, int cap);
