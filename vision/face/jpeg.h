// rg_jpeg_decode_bgr decodes a JPEG with libjpeg-turbo into out, w×h
// packed BGR; with out NULL it only reads the size into *w and *h. It
// returns 0, or -1 with the reason in msg.
int rg_jpeg_decode_bgr(const unsigned char *buf, unsigned long len, unsigned char *out, int *w, int *h, char *msg, int cap);
// rg_jpeg_encode encodes w×h packed BGR (channels 3) or grey (1) at
// quality 1..100 into *out, which the caller frees.
int rg_jpeg_encode(const unsigned char *in, int w, int h, int channels, int quality, unsigned char **out, unsigned long *out_len, char *msg, int cap);
