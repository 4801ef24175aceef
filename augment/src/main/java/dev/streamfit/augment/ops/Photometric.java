package dev.streamfit.augment.ops;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.addWeighted;
import static org.bytedeco.opencv.global.opencv_core.mean;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import dev.streamfit.schemas.AugmentationParams;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Colour ops on an 8-bit RGB {@code Mat}, each a small pure function returning a new {@code Mat} (the
 * caller closes it), values saturated to [0, 255]:
 * saturation (blend with the greyscale image), contrast (blend with the mean grey level), channel shift then
 * brightness ({@code b·(v + c)}, Keras' order), Gaussian blur. {@link #apply} runs them in that order and
 * skips the identity ones.
 */
public final class Photometric {
  private Photometric() {}

  /** True when {@code p} changes no colour (every op at its identity). */
  public static boolean isIdentity(AugmentationParams p) {
    return p.getSaturation() == 1 && p.getContrast() == 1 && p.getBrightness() == 1 && p.getChannelShift() == 0
        && p.getBlurSigma() == 0;
  }

  /** All colour ops of {@code p} in order; returns a new Mat (a copy when nothing applies). */
  public static Mat apply(Mat rgb, AugmentationParams p) {
    Mat cur = rgb.clone();
    if (p.getSaturation() != 1) {
      cur = replace(cur, saturation(cur, p.getSaturation()));
    }
    if (p.getContrast() != 1) {
      cur = replace(cur, contrast(cur, p.getContrast()));
    }
    if (p.getBrightness() != 1 || p.getChannelShift() != 0) {
      cur = replace(cur, shiftAndScale(cur, p.getChannelShift(), p.getBrightness()));
    }
    if (p.getBlurSigma() > 0) {
      cur = replace(cur, blur(cur, p.getBlurSigma()));
    }
    return cur;
  }

  /** {@code clip(b · (v + c))} per channel value. */
  public static Mat shiftAndScale(Mat rgb, double c, double b) {
    Mat out = new Mat();
    rgb.convertTo(out, CV_8U, b, b * c);
    return out;
  }

  /** {@code clip(m + k · (v − m))} with m the mean grey level of the image. */
  public static Mat contrast(Mat rgb, double k) {
    double m;
    try (Mat gray = new Mat(); Scalar s = mean(grayOf(rgb, gray))) {
      m = s.get(0);
    }
    Mat out = new Mat();
    rgb.convertTo(out, CV_8U, k, (1 - k) * m);
    return out;
  }

  /** {@code clip(g + s · (v − g))} with g the pixel's grey level. */
  public static Mat saturation(Mat rgb, double s) {
    Mat out = new Mat();
    try (Mat gray = new Mat(); Mat gray3 = new Mat()) {
      cvtColor(grayOf(rgb, gray), gray3, COLOR_GRAY2RGB);
      addWeighted(rgb, s, gray3, 1 - s, 0, out);
    }
    return out;
  }

  /** Gaussian blur with standard deviation {@code sigma} pixels (kernel sized by OpenCV from sigma). */
  public static Mat blur(Mat rgb, double sigma) {
    Mat out = new Mat();
    try (Size auto = new Size(0, 0)) {
      GaussianBlur(rgb, out, auto, sigma);
    }
    return out;
  }

  private static Mat grayOf(Mat rgb, Mat gray) {
    cvtColor(rgb, gray, COLOR_RGB2GRAY);
    return gray;
  }

  private static Mat replace(Mat old, Mat next) {
    old.close();
    return next;
  }
}
