package dev.streamfit.augment.ops;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.BORDER_WRAP;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.WARP_INVERSE_MAP;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

import dev.streamfit.schemas.AugmentationParams;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Every geometric op — rotation, shift, shear, zoom (x and y), horizontal and vertical flip — and the
 * resize to the model resolution, composed into ONE affine matrix and applied by a single bilinear
 * {@code warpAffine} with the spec's fill mode, as Keras' {@code apply_affine_transform} composes them.
 *
 * <p>Keras conventions, in output pixel coordinates (x right, y down, centre c = ((w−1)/2, (h−1)/2);
 * Keras uses h/2 + 0.5, half a pixel off): an output point p samples the input at
 * {@code c + R·(Sh·Z·F·(p − c) + t)} with R the rotation (positive angles turn the content clockwise on
 * screen), t the shift in pixels (positive samples from the right/below: content moves left/up), Sh the
 * shear, Z = diag(zoomX, zoomY) (above 1 samples a larger region: the content gets smaller) and F the flips
 * (applied last to the picture, as Keras does). That point in the output-size image is then mapped into
 * the source by the resize. Pure functions; the input {@code Mat} is not modified.
 */
public final class Geometry {
  private Geometry() {}

  /**
   * The 2x3 inverse map {@code [a b c; d e f]}: output pixel (x, y) of a {@code outW}x{@code outH} result
   * samples source point (a·x + b·y + c, d·x + e·y + f) of a {@code srcW}x{@code srcH} input.
   */
  public static double[] inverse(AugmentationParams p, int srcW, int srcH, int outW, int outH) {
    double cx = (outW - 1) / 2.0;
    double cy = (outH - 1) / 2.0;
    double[] m = translate(-cx, -cy);
    m = mul(diag(p.getHorizontalFlip() ? -1 : 1, p.getVerticalFlip() ? -1 : 1), m);
    m = mul(diag(p.getZoomX(), p.getZoomY()), m);
    double sh = Math.toRadians(p.getShearDeg());
    m = mul(new double[] {Math.cos(sh), 0, 0, -Math.sin(sh), 1, 0}, m);
    m = mul(translate(p.getShiftX() * outW, p.getShiftY() * outH), m);
    double th = Math.toRadians(p.getRotationDeg());
    m = mul(new double[] {Math.cos(th), Math.sin(th), 0, -Math.sin(th), Math.cos(th), 0}, m);
    m = mul(translate(cx, cy), m);
    // Resize output-size coordinates into the source, pixel centres aligned (as cv::resize does).
    double sx = srcW / (double) outW;
    double sy = srcH / (double) outH;
    return mul(new double[] {sx, 0, 0.5 * (sx - 1), 0, sy, 0.5 * (sy - 1)}, m);
  }

  /** Applies {@code p} to {@code src} and resizes to {@code outW}x{@code outH} in one warp; caller closes the result. */
  public static Mat apply(Mat src, AugmentationParams p, int outW, int outH) {
    double[] m = inverse(p, src.cols(), src.rows(), outW, outH);
    Mat dst = new Mat();
    try (Mat mm = new Mat(2, 3, CV_64F); DoubleIndexer idx = mm.createIndexer();
        Scalar fill = new Scalar(p.getCval(), p.getCval(), p.getCval(), 0); Size size = new Size(outW, outH)) {
      for (int i = 0; i < 6; i++) {
        idx.put(i / 3, i % 3, m[i]);
      }
      warpAffine(src, dst, mm, size, INTER_LINEAR | WARP_INVERSE_MAP, border(p.getFillMode()), fill);
    }
    return dst;
  }

  /** OpenCV border mode of a Keras fill mode name. */
  static int border(String fillMode) {
    return switch (AugmentSpec.FillMode.parse(fillMode)) {
      case NEAREST -> BORDER_REPLICATE;
      case CONSTANT -> BORDER_CONSTANT;
      case REFLECT -> BORDER_REFLECT;
      case WRAP -> BORDER_WRAP;
    };
  }

  private static double[] translate(double tx, double ty) {
    return new double[] {1, 0, tx, 0, 1, ty};
  }

  private static double[] diag(double a, double b) {
    return new double[] {a, 0, 0, 0, b, 0};
  }

  /** a·b for 2x3 affine matrices (implicit last row 0 0 1). */
  private static double[] mul(double[] a, double[] b) {
    return new double[] {
        a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
        a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4], a[3] * b[2] + a[4] * b[5] + a[5]};
  }
}
