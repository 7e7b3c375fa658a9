// dlib's own face chip, as the reference for face.DlibChipTemplate: reads
// lines of
//
//	IMAGE.rgb WIDTH HEIGHT CHIP.rgb x0 y0 … x67 y67
//
// (the image as HWC RGB bytes, 68 iBUG landmarks in its pixels), builds
// get_face_chip_details(shape, 150, 0.25) and extract_image_chip as dlib's
// face recognition example does, writes the chip as 150x150 RGB bytes and
// prints the chip's corners (0,0) (149,0) (149,149) (0,149) in the image.
#include <dlib/image_processing/full_object_detection.h>
#include <dlib/image_transforms.h>
#include <cmath>
#include <fstream>
#include <iostream>

using namespace dlib;

int main() {
    std::string in, out;
    long w, h;
    while (std::cin >> in >> w >> h >> out) {
        std::vector<point> parts(68);
        for (auto& p : parts) {
            double x, y;
            std::cin >> x >> y;
            // dlib's shape predictors give whole pixels too.
            p = point(std::lround(x), std::lround(y));
        }
        array2d<rgb_pixel> img(h, w);
        std::ifstream f(in, std::ios::binary);
        for (long r = 0; r < h; ++r)
            for (long c = 0; c < w; ++c) {
                unsigned char px[3];
                f.read(reinterpret_cast<char*>(px), 3);
                img[r][c] = rgb_pixel(px[0], px[1], px[2]);
            }
        if (!f) {
            std::cerr << in << ": short image\n";
            return 1;
        }
        full_object_detection shape(rectangle(0, 0, w - 1, h - 1), parts);
        chip_details details = get_face_chip_details(shape, 150, 0.25);
        matrix<rgb_pixel> chip;
        extract_image_chip(img, details, chip);
        std::ofstream o(out, std::ios::binary);
        for (long r = 0; r < chip.nr(); ++r)
            for (long c = 0; c < chip.nc(); ++c)
                o.put(chip(r, c).red).put(chip(r, c).green).put(chip(r, c).blue);
        point_transform_affine back = inv(get_mapping_to_chip(details));
        for (dpoint p : {dpoint(0, 0), dpoint(149, 0), dpoint(149, 149), dpoint(0, 149)}) {
            dpoint q = back(p);
            std::cout << q.x() << ' ' << q.y() << ' ';
        }
        std::cout << std::endl;
    }
    return 0;
}
