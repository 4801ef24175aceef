package dev.streamfit.augment.ops;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

import dev.streamfit.schemas.AugmentationParams;
import java.util.random.RandomGenerator;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Horizontal flip, rotation, shift and zoom composed into one affine matrix and applied by a single
 * {@code warpAffine} (bilinear, border "nearest" = replicate). Pure functions: the input {@code Mat} is
 * not modified; the result is a new {@code Mat} owned by the caller.
 */
public final class Affine {
  private Affine() {}

  /** Draws parameters from {@code spec} with {@code rng}; same rng state → same parameters. */
  public static AugmentationParams sample(AugmentSpec spec, RandomGenerator rng, long seed) {
    boolean flip = spec.horizontalFlip() && rng.nextBoolean();
    double rot = uniform(rng, spec.rotationDeg());
    double sx = uniform(rng, spec.shift());
    double sy = uniform(rng, spec.shift());
    double zoom = 1 + uniform(rng, spec.zoom());
    return AugmentationParams.newBuilder().setSeed(seed).setApplied(true).setHorizontalFlip(flip)
        .setRotationDeg(rot).setShiftX(sx).setShiftY(sy).setZoom(zoom).setSpecHash(spec.hash()).build();
  }

  /**
   * The 2x3 forward matrix (source pixel → destination pixel) for an image of {@code width}x{@code height}:
   * {@code dst = Z·R·(F(src) − c) + c + t}, with F the optional left-right flip, c the centre.
   */
  public static double[] matrix(AugmentationParams p, int width, int height) {
    double cx = (width - 1) / 2.0;
    double cy = (height - 1) / 2.0;
    double th = Math.toRadians(p.getRotationDeg());
    double z = p.getZoom();
    double a = z * Math.cos(th);
    double b = -z * Math.sin(th);
    double c = z * Math.sin(th);
    double d = z * Math.cos(th);
    double fx = p.getHorizontalFlip() ? -1 : 1;
    double f0 = p.getHorizontalFlip() ? width - 1 : 0;
    // L = A·diag(fx, 1); offset = A·(f0 − cx, −cy) + c + t
    double tx = p.getShiftX() * width;
    double ty = p.getShiftY() * height;
    return new double[] {
        a * fx, b, a * (f0 - cx) + b * (-cy) + cx + tx,
        c * fx, d, c * (f0 - cx) + d * (-cy) + cy + ty};
  }

  /** Applies {@code p} to {@code src}, same size out. */
  public static Mat apply(Mat src, AugmentationParams p) {
    double[] m = matrix(p, src.cols(), src.rows());
    Mat dst = new Mat();
    try (Mat mm = new Mat(2, 3, CV_64F); DoubleIndexer idx = mm.createIndexer(); Scalar border = new Scalar(0.0)) {
      for (int i = 0; i < 6; i++) {
        idx.put(i / 3, i % 3, m[i]);
      }
      warpAffine(src, dst, mm, new Size(src.cols(), src.rows()), INTER_LINEAR, BORDER_REPLICATE, border);
    }
    return dst;
  }

  private static double uniform(RandomGenerator rng, double range) {
    return range == 0 ? 0 : rng.nextDouble(-range, range);
  }
}
