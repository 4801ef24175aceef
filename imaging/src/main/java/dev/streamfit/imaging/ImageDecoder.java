package dev.streamfit.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import static org.bytedeco.opencv.global.opencv_core.ROTATE_180;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_CLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_COUNTERCLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_core.rotate;
import static org.bytedeco.opencv.global.opencv_core.transpose;

import dev.streamfit.imaging.internal.ImageHeader;
import dev.streamfit.imaging.internal.TurboJpeg;
import dev.streamfit.schemas.RejectReason;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import java.util.Optional;

/**
 * Bytes → RGB {@link Mat}, guarded: the container is checked (JPEG/PNG/WebP allow-list by magic bytes,
 * byte cap, dimension caps from the header, JPEG EOI / PNG IEND present, single frame) before OpenCV
 * decodes any pixel, so a truncated, bomb or foreign-format payload is refused with a reason instead of
 * being silently decoded into garbage. EXIF orientation is applied; grayscale, 16-bit and alpha inputs
 * come out as 8-bit, 3-channel RGB.
 *
 * <p>Thread-safe and stateless apart from its limits. Returned {@code Mat}s are owned by the caller,
 * who must close them.
 */
public final class ImageDecoder {
  /** Which JPEG decoder this machine uses: libjpeg-turbo's TurboJPEG where installed, else OpenCV's imdecode. */
  public static String jpegDecoder() {
    return TurboJpeg.available() ? "libjpeg-turbo TurboJPEG" : "OpenCV imdecode (libturbojpeg0 not installed)";
  }

  private final DecodeLimits limits;

  public ImageDecoder(DecodeLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** Checks the container only (no pixel decode); returns the header. */
  public ImageHeader probe(byte[] bytes) throws ImageRejectedException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageRejectedException(RejectReason.EMPTY, "empty image (0 bytes)");
    }
    if (bytes.length > limits.maxBytes()) {
      throw new ImageRejectedException(RejectReason.TOO_LARGE,
          "image is " + bytes.length + " bytes, above the cap of " + limits.maxBytes() + " (decode.max-bytes)");
    }
    ImageHeader h = ImageHeader.probe(bytes);
    if (h.width() > limits.maxSide() || h.height() > limits.maxSide()
        || (long) h.width() * h.height() > limits.maxPixels()) {
      throw new ImageRejectedException(RejectReason.DIMENSIONS_TOO_LARGE, "image declares " + h.width() + "x"
          + h.height() + ", above the caps of " + limits.maxSide() + " px per side and " + limits.maxPixels() + " pixels");
    }
    if (h.scans() > limits.maxScans()) {
      throw new ImageRejectedException(RejectReason.DECODE_COST, "JPEG has " + h.scans() + " scans, above the cap of "
          + limits.maxScans() + " (decode.max-scans)");
    }
    if ((long) h.scans() * h.width() * h.height() > limits.scanPixelBudget()) {
      throw new ImageRejectedException(RejectReason.DECODE_COST, "JPEG has " + h.scans() + " scans of " + h.width() + "x"
          + h.height() + ": scans x pixels above the decode budget of " + limits.scanPixelBudget()
          + " (16 x decode.max-pixels)");
    }
    return h;
  }

  /** Decodes to an 8-bit RGB {@code Mat} (CV_8UC3) at full size. The caller closes it. */
  public Mat decodeRgb(byte[] bytes) throws ImageRejectedException {
    return decodeRgb(bytes, 0);
  }

  /**
   * Decodes to an 8-bit RGB {@code Mat} no smaller than {@code minSide} on either side where that saves
   * work: JPEGs through libjpeg-turbo's TurboJPEG when present, DCT-scaled by M/8 (see {@code TurboJpeg});
   * otherwise OpenCV at 1/2, 1/4 or 1/8 scale when the shorter side is at least that many times
   * {@code minSide}. EXIF orientation is applied; grey, alpha, 16-bit and CMYK inputs come out as 8-bit RGB.
   * The caller closes it.
   */
  public Mat decodeRgb(byte[] bytes, int minSide) throws ImageRejectedException {
    ImageHeader h = probe(bytes);
    try {
      return decode(bytes, h, minSide);
    } catch (RuntimeException e) { // a native decoder refused the data: the image's fault, not the caller's
      throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "the " + h.mediaType() + " decoder failed ("
          + h.width() + "x" + h.height() + " declared): " + firstLine(e));
    }
  }

  private static String firstLine(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).strip();
  }

  private static Mat decode(byte[] bytes, ImageHeader h, int minSide) throws ImageRejectedException {
    if (h.mediaType().equals("image/jpeg")) {
      Optional<Mat> turbo = TurboJpeg.decodeRgb(bytes, h.width(), h.height(), minSide);
      if (turbo.isPresent()) {
        return orient(turbo.get(), h.orientation());
      }
    }
    int factor = reduction(h.width(), h.height(), minSide);
    int flags = switch (factor) {
      case 8 -> IMREAD_REDUCED_COLOR_8;
      case 4 -> IMREAD_REDUCED_COLOR_4;
      case 2 -> IMREAD_REDUCED_COLOR_2;
      default -> IMREAD_COLOR;
    };
    Mat bgr;
    try (BytePointer ptr = new BytePointer(bytes); Mat buf = new Mat(1, bytes.length, CV_8UC1, ptr)) {
      bgr = imdecode(buf, flags);
    }
    if (bgr == null || bgr.empty() || bgr.depth() != CV_8U || bgr.channels() != 3) {
      if (bgr != null) {
        bgr.close();
      }
      throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "OpenCV could not decode the " + h.mediaType()
          + " data (" + h.width() + "x" + h.height() + " declared)");
    }
    int longer = Math.max(bgr.cols(), bgr.rows());
    int shorter = Math.min(bgr.cols(), bgr.rows());
    int expectLonger = (Math.max(h.width(), h.height()) + factor - 1) / factor;
    int expectShorter = (Math.min(h.width(), h.height()) + factor - 1) / factor;
    if (Math.abs(longer - expectLonger) > 1 || Math.abs(shorter - expectShorter) > 1) {
      // never expected (the header walk mirrors the decoders), so never served: the image is not what it declares
      String got = bgr.cols() + "x" + bgr.rows();
      bgr.close();
      throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "decoded " + got + " but the header declares "
          + h.width() + "x" + h.height());
    }
    cvtColor(bgr, bgr, COLOR_BGR2RGB);
    return bgr;
  }

  /** Applies EXIF orientation {@code o} (as OpenCV's imdecode does); consumes {@code m}. */
  static Mat orient(Mat m, int o) {
    if (o == 1) {
      return m;
    }
    Mat out = new Mat();
    try (m) {
      switch (o) {
        case 2 -> flip(m, out, 1);
        case 3 -> rotate(m, out, ROTATE_180);
        case 4 -> flip(m, out, 0);
        case 5 -> transpose(m, out);
        case 6 -> rotate(m, out, ROTATE_90_CLOCKWISE);
        case 7 -> {
          try (Mat t = new Mat()) {
            transpose(m, t);
            flip(t, out, -1);
          }
        }
        case 8 -> rotate(m, out, ROTATE_90_COUNTERCLOCKWISE);
        default -> m.copyTo(out);
      }
    }
    return out;
  }

  /** Largest of 8, 4, 2 (else 1) by which the shorter side can shrink and stay at least {@code minSide}. */
  static int reduction(int width, int height, int minSide) {
    if (minSide <= 0) {
      return 1;
    }
    int shorter = Math.min(width, height);
    for (int f = 8; f >= 2; f /= 2) {
      if (shorter / f >= minSide) {
        return f;
      }
    }
    return 1;
  }

  /**
   * Decodes and resizes to exactly {@code width}x{@code height} RGB, see {@link Pixels#resize}. The caller
   * closes it.
   */
  public Mat decodeResized(byte[] bytes, int width, int height) throws ImageRejectedException {
    try (Mat rgb = decodeRgb(bytes, Math.max(width, height))) {
      return Pixels.resize(rgb, width, height);
    }
  }
}
