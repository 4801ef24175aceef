package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_16UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import dev.streamfit.schemas.RejectReason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

/**
 * Valid but unusual images decode to 8-bit RGB of the right orientation and size; a real decompression
 * bomb and multi-frame formats are refused before decoding.
 */
class UnusualImagesTest {
  private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());

  static byte[] encode(Mat m, String ext) {
    try (BytePointer buf = new BytePointer()) {
      if (!imencode(ext, m, buf)) {
        throw new AssertionError("imencode " + ext + " failed");
      }
      byte[] b = new byte[(int) buf.limit()];
      buf.get(b);
      return b;
    }
  }

  static Mat filled(int rows, int cols, int type, double... v) {
    return new Mat(rows, cols, type, new Scalar(v[0], v.length > 1 ? v[1] : 0, v.length > 2 ? v[2] : 0, v.length > 3 ? v[3] : 0));
  }

  private void assertRgb(byte[] bytes, int w, int h) throws Exception {
    try (Mat m = decoder.decodeRgb(bytes)) {
      assertThat(m.cols()).isEqualTo(w);
      assertThat(m.rows()).isEqualTo(h);
      assertThat(m.channels()).isEqualTo(3);
      assertThat(m.depth()).isEqualTo(org.bytedeco.opencv.global.opencv_core.CV_8U);
    }
  }

  @Test
  void greyAlphaSixteenBitAndTinyImagesComeOutAsEightBitRgb() throws Exception {
    try (Mat grey = filled(16, 12, CV_8UC1, 90); Mat alpha = filled(16, 12, CV_8UC4, 10, 20, 30, 128);
        Mat deep = filled(16, 12, CV_16UC3, 1000, 30000, 65535)) {
      assertRgb(encode(grey, ".jpg"), 12, 16);
      assertRgb(encode(alpha, ".png"), 12, 16);
      byte[] png16 = encode(deep, ".png");
      assertRgb(png16, 12, 16);
      try (Mat m = decoder.decodeRgb(png16)) {
        byte[] px = Pixels.toHwc(m);
        // 16-bit BGR (1000, 30000, 65535) → 8-bit RGB (255, 117, 3): values scaled by 1/257, channels swapped
        assertThat(new int[] {px[0] & 0xFF, px[1] & 0xFF, px[2] & 0xFF}).containsExactly(255, 117, 3);
      }
    }
  }

  @Test
  void cmykJpegDecodesToRgb() throws Exception {
    // A 4-component JPEG written by the JDK's encoder (no Adobe marker: libjpeg reads it as CMYK).
    java.awt.image.WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(
        java.awt.image.DataBuffer.TYPE_BYTE, 12, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 12; x++) {
        raster.setPixel(x, y, new int[] {0, 255, 255, 0});
      }
    }
    javax.imageio.ImageWriter w = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(out)) {
      w.setOutput(ios);
      w.write(null, new javax.imageio.IIOImage(raster, null, null), null);
    }
    byte[] cmyk = out.toByteArray();
    assertThat(cmyk[3] & 0xFF).isNotEqualTo(0xEE); // not an Adobe APP14 first
    assertRgb(cmyk, 12, 16);
  }

  @Test
  void exifOrientationIsApplied() throws Exception {
    // 20 wide x 10 high, left half white; EXIF orientation 6 (display rotated 90° clockwise) → 10 x 20,
    // and the white half ends up on top.
    byte[] jpeg;
    try (Mat m = filled(10, 20, CV_8UC3, 0, 0, 0)) {
      try (Mat left = m.colRange(0, 10)) {
        left.put(new Scalar(255, 255, 255, 0));
      }
      jpeg = encode(m, ".jpg");
    }
    byte[] rotated = withExifOrientation(jpeg, 6);
    try (Mat m = decoder.decodeRgb(rotated)) {
      assertThat(m.cols()).isEqualTo(10);
      assertThat(m.rows()).isEqualTo(20);
      byte[] px = Pixels.toHwc(m);
      assertThat(px[(2 * 10 + 5) * 3] & 0xFF).as("top").isGreaterThan(200);
      assertThat(px[(17 * 10 + 5) * 3] & 0xFF).as("bottom").isLessThan(50);
    }
  }

  @Test
  void largeJpegsDecodeAtReducedScaleForSmallTargets() throws Exception {
    byte[] big;
    try (Mat m = filled(5000, 4000, CV_8UC3, 40, 80, 120)) {
      big = encode(m, ".jpg");
    }
    try (Mat m = decoder.decodeRgb(big, 224)) {
      assertThat(m.cols()).isEqualTo(500); // 1/8 scale: 500 x 625, still ≥ 224
      assertThat(m.rows()).isEqualTo(625);
    }
    try (Mat m = decoder.decodeResized(big, 224, 224)) {
      assertThat(m.cols()).isEqualTo(224);
    }
    assertThat(ImageDecoder.reduction(533, 400, 224)).isEqualTo(1);
    assertThat(ImageDecoder.reduction(1000, 900, 224)).isEqualTo(4);
  }

  @Test
  void aRealDecompressionBombIsRefusedFromItsHeader() {
    byte[] bomb = pngBomb(10_000, 10_000);
    assertThat(bomb.length).isLessThan(200_000); // ~100 KB that would inflate to 100 MB of pixels
    ImageRejectedException e = ImageDecoderTest.reasonOf(decoder, bomb);
    assertThat(e.reason()).isEqualTo(RejectReason.DIMENSIONS_TOO_LARGE);
    assertThat(e.getMessage()).contains("10000x10000");
  }

  @Test
  void multiFrameAndForeignFormatsAreRefused() {
    byte[] gif = {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0, 0, 0, '!', (byte) 0xFF, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P',
        'E', '2', '.', '0', 3, 1, 0, 0, 0, ';'};
    assertThat(ImageDecoderTest.reasonOf(decoder, gif).reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
    byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0};
    assertThat(ImageDecoderTest.reasonOf(decoder, tiff).reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
  }

  static byte[] withExifOrientation(byte[] jpeg, int orientation) {
    return dev.streamfit.testkit.TestImages.withExifOrientation(jpeg, orientation);
  }

  static byte[] pngBomb(int w, int h) {
    return dev.streamfit.testkit.TestImages.pngBomb(w, h);
  }
}
