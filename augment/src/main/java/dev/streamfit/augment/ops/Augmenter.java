package dev.streamfit.augment.ops;

import dev.streamfit.schemas.AugmentationParams;
import java.util.random.RandomGenerator;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Draws a record's augmentation parameters from a spec and applies them: {@link Geometry} (one warp,
 * straight to the model resolution), then {@link Photometric}. Pure functions of (spec, rng state) and
 * (image, parameters): a record's rng is seeded from {@link Seeds#derive}, so a replay is byte-identical.
 * Thread-safe (stateless).
 */
public final class Augmenter {
  private Augmenter() {}

  /**
   * Parameters for one variant, drawn from {@code spec} with {@code rng} in a fixed order. Shifts given in
   * pixels (range ≥ 1) are relative to the {@code outW}x{@code outH} output and stored as fractions.
   */
  public static AugmentationParams sample(AugmentSpec spec, RandomGenerator rng, long seed, int outW, int outH) {
    double rot = uniform(rng, spec.rotationRange());
    double sx = uniform(rng, spec.widthShiftRange());
    double sy = uniform(rng, spec.heightShiftRange());
    if (spec.widthShiftRange() >= 1) {
      sx /= outW;
    }
    if (spec.heightShiftRange() >= 1) {
      sy /= outH;
    }
    double shear = uniform(rng, spec.shearRange());
    double zx = between(rng, spec.zoomLow(), spec.zoomHigh());
    double zy = between(rng, spec.zoomLow(), spec.zoomHigh());
    boolean hflip = spec.horizontalFlip() && rng.nextBoolean();
    boolean vflip = spec.verticalFlip() && rng.nextBoolean();
    double bright = between(rng, spec.brightnessLow(), spec.brightnessHigh());
    double shift = uniform(rng, spec.channelShiftRange());
    double blur = spec.blurSigma() == 0 ? 0 : rng.nextDouble(0, spec.blurSigma());
    double contrast = 1 + uniform(rng, spec.contrastRange());
    double saturation = 1 + uniform(rng, spec.saturationRange());
    return AugmentationParams.newBuilder().setSeed(seed).setApplied(true).setHorizontalFlip(hflip).setVerticalFlip(vflip)
        .setRotationDeg(rot).setShiftX(sx).setShiftY(sy).setShearDeg(shear).setZoom(zx).setZoomX(zx).setZoomY(zy)
        .setBrightness(bright).setChannelShift(shift).setBlurSigma(blur).setContrast(contrast).setSaturation(saturation)
        .setFillMode(spec.fillMode().keras()).setCval(spec.cval()).setSpecHash(spec.hash()).build();
  }

  /** Applies {@code p} to {@code src}, producing {@code outW}x{@code outH} RGB; the caller closes the result. */
  public static Mat apply(Mat src, AugmentationParams p, int outW, int outH) {
    Mat warped = Geometry.apply(src, p, outW, outH);
    if (Photometric.isIdentity(p)) {
      return warped;
    }
    try (warped) {
      return Photometric.apply(warped, p);
    }
  }

  private static double uniform(RandomGenerator rng, double range) {
    return range == 0 ? 0 : rng.nextDouble(-range, range);
  }

  private static double between(RandomGenerator rng, double lo, double hi) {
    return lo == hi ? lo : rng.nextDouble(lo, hi);
  }
}
