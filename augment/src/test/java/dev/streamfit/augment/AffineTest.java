package dev.streamfit.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.augment.ops.Affine;
import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.augment.ops.Seeds;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.AugmentationParams;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

class AffineTest {
  static AugmentationParams params(boolean flip, double rot, double sx, double sy, double zoom) {
    return AugmentationParams.newBuilder().setSeed(0).setApplied(true).setHorizontalFlip(flip).setRotationDeg(rot)
        .setShiftX(sx).setShiftY(sy).setZoom(zoom).setSpecHash("t").build();
  }

  /** A 8x6 image whose pixel (x, y) has R = x, G = y, B = 7. */
  static byte[] gradient(int w, int h) {
    byte[] b = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3;
        b[o] = (byte) x;
        b[o + 1] = (byte) y;
        b[o + 2] = 7;
      }
    }
    return b;
  }

  static byte[] apply(byte[] hwc, int w, int h, AugmentationParams p) {
    try (Mat src = Pixels.fromHwc(hwc, h, w); Mat out = Affine.apply(src, p)) {
      return Pixels.toHwc(out);
    }
  }

  @Test
  void identityLeavesPixelsUnchanged() {
    byte[] img = gradient(8, 6);
    assertThat(apply(img, 8, 6, params(false, 0, 0, 0, 1))).isEqualTo(img);
  }

  @Test
  void horizontalFlipMirrorsExactly() {
    byte[] out = apply(gradient(8, 6), 8, 6, params(true, 0, 0, 0, 1));
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        assertThat(out[(y * 8 + x) * 3]).as("R at (%d,%d)", x, y).isEqualTo((byte) (7 - x));
        assertThat(out[(y * 8 + x) * 3 + 1]).isEqualTo((byte) y);
      }
    }
  }

  @Test
  void shiftMovesContentAndReplicatesTheBorder() {
    // shift right by 2 px (0.25 of 8): dst(x) = src(x - 2); left border replicates column 0.
    byte[] out = apply(gradient(8, 6), 8, 6, params(false, 0, 0.25, 0, 1));
    assertThat(out[(0 * 8 + 5) * 3]).isEqualTo((byte) 3);
    assertThat(out[(0 * 8 + 0) * 3]).isEqualTo((byte) 0);
    assertThat(out[(0 * 8 + 1) * 3]).isEqualTo((byte) 0);
  }

  @Test
  void rotationBy90DegreesMapsCornersAroundTheCentre() {
    // Forward matrix maps source (x, y) → centre + R·(p − centre); 90°: (x, y) → (cx − (y − cy), cy + (x − cx)).
    double[] m = Affine.matrix(params(false, 90, 0, 0, 1), 5, 5);
    double x = 0;
    double y = 0;
    assertThat(m[0] * x + m[1] * y + m[2]).isCloseTo(4.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(m[3] * x + m[4] * y + m[5]).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void zoomAboveOneMagnifiesAroundTheCentre() {
    double[] m = Affine.matrix(params(false, 0, 0, 0, 2), 5, 5);
    assertThat(m[0]).isEqualTo(2.0);
    assertThat(m[0] * 3 + m[2]).isEqualTo(4.0); // a point 1 px right of centre moves to 2 px right
  }

  @Test
  void sameSeedSameParametersDifferentEpochDifferentSeed() {
    AugmentSpec spec = AugmentSpec.defaults();
    long s0 = Seeds.derive(42, "abc", 0, 0);
    assertThat(Seeds.derive(42, "abc", 0, 0)).isEqualTo(s0);
    assertThat(Seeds.derive(42, "abc", 1, 0)).isNotEqualTo(s0);
    assertThat(Seeds.derive(43, "abc", 0, 0)).isNotEqualTo(s0);
    assertThat(Affine.sample(spec, new SplittableRandom(s0), s0)).isEqualTo(Affine.sample(spec, new SplittableRandom(s0), s0));
    AugmentationParams p = Affine.sample(spec, new SplittableRandom(s0), s0);
    assertThat(Math.abs(p.getRotationDeg())).isLessThanOrEqualTo(30);
    assertThat(p.getZoom()).isBetween(0.9, 1.1);
  }

  @Test
  void specValidationNamesKeyBoundValueAndFlag() {
    assertThatThrownBy(() -> new AugmentSpec(200, 0.1, 0.1, true))
        .hasMessage("augment.rotation must be in [0.0, 180.0], was 200.0 (set --rotation)");
  }
}
