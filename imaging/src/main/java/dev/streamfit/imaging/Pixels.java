package dev.streamfit.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;

/**
 * Conversions between 8-bit RGB {@link Mat}s and the wire tensor format of {@code AugmentedSample}:
 * uint8, row-major HWC. Stateless and thread-safe; returned {@code Mat}s are owned by the caller.
 */
public final class Pixels {
  private Pixels() {}

  /**
   * Resized copy at exactly {@code width}x{@code height} (aspect ratio not kept, as Keras'
   * {@code target_size}): INTER_AREA when shrinking, bilinear otherwise. The caller closes it.
   */
  public static Mat resize(Mat rgb, int width, int height) {
    Mat out = new Mat();
    boolean shrink = rgb.cols() >= width && rgb.rows() >= height;
    try (Size size = new Size(width, height)) {
      opencv_imgproc.resize(rgb, out, size, 0, 0, shrink ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR);
    }
    return out;
  }

  /** Copies a CV_8UC3 {@code Mat} into HWC bytes ({@code rows*cols*3}). */
  public static byte[] toHwc(Mat rgb) {
    if (rgb.type() != CV_8UC3) {
      throw new IllegalArgumentException("expected CV_8UC3, got type " + rgb.type());
    }
    Mat src = rgb.isContinuous() ? rgb : rgb.clone();
    try {
      byte[] out = new byte[src.rows() * src.cols() * 3];
      src.data().get(out);
      return out;
    } finally {
      if (src != rgb) {
        src.close();
      }
    }
  }

  /** A CV_8UC3 {@code Mat} holding a copy of {@code hwc}; the caller closes it. */
  public static Mat fromHwc(byte[] hwc, int height, int width) {
    if (hwc.length != height * width * 3) {
      throw new IllegalArgumentException("expected " + height * width * 3 + " bytes for " + height + "x" + width
          + "x3, got " + hwc.length);
    }
    Mat m = new Mat(height, width, CV_8UC3);
    BytePointer data = m.data();
    data.put(hwc);
    return m;
  }

  /** Encodes an 8-bit RGB {@code Mat} as a baseline JPEG of the given quality (1–100). The Mat is left as is. */
  public static byte[] encodeJpeg(Mat rgb, int quality) {
    try (Mat bgr = new Mat(); BytePointer buf = new BytePointer();
        IntPointer params = new IntPointer(
            opencv_imgcodecs.IMWRITE_JPEG_QUALITY, quality)) {
      opencv_imgproc.cvtColor(rgb, bgr, opencv_imgproc.COLOR_RGB2BGR);
      if (!opencv_imgcodecs.imencode(".jpg", bgr, buf, params)) {
        throw new IllegalStateException("JPEG encoding failed");
      }
      byte[] out = new byte[(int) buf.limit()];
      buf.get(out);
      return out;
    }
  }

  /** Encodes an 8-bit RGB {@code Mat} as a PNG (lossless). The Mat is left as is. */
  public static byte[] encodePng(Mat rgb) {
    try (Mat bgr = new Mat(); BytePointer buf = new BytePointer()) {
      opencv_imgproc.cvtColor(rgb, bgr, opencv_imgproc.COLOR_RGB2BGR);
      if (!opencv_imgcodecs.imencode(".png", bgr, buf)) {
        throw new IllegalStateException("PNG encoding failed");
      }
      byte[] out = new byte[(int) buf.limit()];
      buf.get(out);
      return out;
    }
  }
}
