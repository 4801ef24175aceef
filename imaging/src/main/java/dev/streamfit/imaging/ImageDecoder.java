package dev.streamfit.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import dev.streamfit.imaging.internal.ImageHeader;
import dev.streamfit.schemas.RejectReason;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Bytes → RGB {@link Mat}, guarded: the container is checked (JPEG/PNG allow-list by magic bytes,
 * byte cap, dimension caps from the header, JPEG EOI / PNG IEND present, single frame) before OpenCV
 * decodes any pixel, so a truncated, bomb or foreign-format payload is refused with a reason instead of
 * being silently decoded into garbage. EXIF orientation is applied; grayscale, 16-bit and alpha inputs
 * come out as 8-bit, 3-channel RGB.
 *
 * <p>Thread-safe and stateless apart from its limits. Returned {@code Mat}s are owned by the caller,
 * who must close them.
 */
public final class ImageDecoder {
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
    return h;
  }

  /** Decodes to an 8-bit RGB {@code Mat} (CV_8UC3). The caller closes it. */
  public Mat decodeRgb(byte[] bytes) throws ImageRejectedException {
    ImageHeader h = probe(bytes);
    Mat bgr;
    try (BytePointer ptr = new BytePointer(bytes); Mat buf = new Mat(1, bytes.length, CV_8UC1, ptr)) {
      bgr = imdecode(buf, IMREAD_COLOR);
    }
    if (bgr == null || bgr.empty() || bgr.depth() != CV_8U || bgr.channels() != 3) {
      if (bgr != null) {
        bgr.close();
      }
      throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "OpenCV could not decode the " + h.mediaType()
          + " data (" + h.width() + "x" + h.height() + " declared)");
    }
    cvtColor(bgr, bgr, COLOR_BGR2RGB);
    return bgr;
  }

  /**
   * Decodes and resizes to exactly {@code width}x{@code height} RGB, see {@link Pixels#resize}. The caller
   * closes it.
   */
  public Mat decodeResized(byte[] bytes, int width, int height) throws ImageRejectedException {
    try (Mat rgb = decodeRgb(bytes)) {
      return Pixels.resize(rgb, width, height);
    }
  }
}
