package dev.streamfit.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.augment.ops.Augmenter;
import dev.streamfit.augment.ops.Geometry;
import dev.streamfit.augment.ops.Photometric;
import dev.streamfit.augment.ops.Seeds;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.AugmentationParams;
import java.util.Properties;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** Each augmentation op on synthetic images, with exact expectations. */
class OpsTest {
  static AugmentationParams.Builder params() {
    return AugmentationParams.newBuilder().setSeed(0).setApplied(true).setSpecHash("t");
  }

  /** A w x h image whose pixel (x, y) has R = x, G = y, B = 7. */
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
    try (Mat src = Pixels.fromHwc(hwc, h, w); Mat out = Augmenter.apply(src, p, w, h)) {
      return Pixels.toHwc(out);
    }
  }

  static int r(byte[] img, int w, int x, int y) {
    return img[(y * w + x) * 3] & 0xFF;
  }

  static double[] map(double[] m, double x, double y) {
    return new double[] {m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
  }

  @Test
  void identityLeavesPixelsUnchanged() {
    byte[] img = gradient(8, 6);
    assertThat(apply(img, 8, 6, params().build())).isEqualTo(img);
  }

  @Test
  void flipsMirrorExactly() {
    byte[] h = apply(gradient(8, 6), 8, 6, params().setHorizontalFlip(true).build());
    byte[] v = apply(gradient(8, 6), 8, 6, params().setVerticalFlip(true).build());
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        int o = (y * 8 + x) * 3;
        assertThat(h[o]).as("R at (%d,%d)", x, y).isEqualTo((byte) (7 - x));
        assertThat(h[o + 1]).isEqualTo((byte) y);
        assertThat(v[o]).isEqualTo((byte) x);
        assertThat(v[o + 1]).as("G at (%d,%d)", x, y).isEqualTo((byte) (5 - y));
      }
    }
  }

  @Test
  void rotationBy90DegreesTurnsASquareClockwise() {
    // 9x9 black, white 3x3 square at the top middle (rows 0-2, cols 3-5) → right middle (rows 3-5, cols 6-8).
    byte[] img = new byte[9 * 9 * 3];
    for (int y = 0; y < 3; y++) {
      for (int x = 3; x < 6; x++) {
        java.util.Arrays.fill(img, (y * 9 + x) * 3, (y * 9 + x) * 3 + 3, (byte) 255);
      }
    }
    byte[] out = apply(img, 9, 9, params().setRotationDeg(90).setFillMode("constant").build());
    for (int y = 0; y < 9; y++) {
      for (int x = 0; x < 9; x++) {
        boolean white = y >= 3 && y < 6 && x >= 6;
        assertThat(r(out, 9, x, y)).as("(%d,%d)", x, y).isEqualTo(white ? 255 : 0);
      }
    }
  }

  @Test
  void shearMapsASquaresCornersToAParallelogram() {
    // Inverse map: output p samples c + Sh·(p − c), Sh = [[cos s, 0], [−sin s, 1]] (Keras' shear in x, y order).
    double[] m = Geometry.inverse(params().setShearDeg(30).build(), 9, 9, 9, 9);
    double cos = Math.cos(Math.toRadians(30));
    double sin = Math.sin(Math.toRadians(30));
    int[][] corners = {{2, 2}, {6, 2}, {6, 6}, {2, 6}};
    for (int[] p : corners) {
      double dx = p[0] - 4;
      double dy = p[1] - 4;
      double[] in = map(m, p[0], p[1]);
      assertThat(in[0]).as("x of %s", java.util.Arrays.toString(p)).isCloseTo(4 + cos * dx, offset(1e-9));
      assertThat(in[1]).as("y of %s", java.util.Arrays.toString(p)).isCloseTo(4 - sin * dx + dy, offset(1e-9));
    }
    // The centre is fixed; horizontal lines of the input come out slanted.
    assertThat(map(m, 4, 4)).containsExactly(new double[] {4, 4}, offset(1e-9));
  }

  @Test
  void zoomAboveOneShowsASmallerImage() {
    double[] m = Geometry.inverse(params().setZoomX(2).setZoomY(0.5).build(), 9, 9, 9, 9);
    assertThat(map(m, 6, 4)).containsExactly(new double[] {8, 4}, offset(1e-9)); // 2 px right samples 4 px right
    assertThat(map(m, 4, 8)).containsExactly(new double[] {4, 6}, offset(1e-9)); // 4 px down samples 2 px down
  }

  @Test
  void resizeToTheModelResolutionIsPartOfTheSameWarp() {
    double[] m = Geometry.inverse(params().build(), 16, 12, 8, 6);
    assertThat(map(m, 0, 0)).containsExactly(new double[] {0.5, 0.5}, offset(1e-9));
    assertThat(map(m, 7, 5)).containsExactly(new double[] {14.5, 10.5}, offset(1e-9));
  }

  @Test
  void eachFillModeFillsWhatTheShiftUncovers() {
    // A shift of +2 px samples 2 px to the right: columns 6 and 7 of the 8-wide output read x = 8, 9.
    AugmentationParams.Builder b = params().setShiftX(2 / 8.0);
    byte[] img = gradient(8, 6);
    byte[] nearest = apply(img, 8, 6, b.setFillMode("nearest").build());
    byte[] constant = apply(img, 8, 6, b.setFillMode("constant").setCval(100).build());
    byte[] reflect = apply(img, 8, 6, b.setFillMode("reflect").build());
    byte[] wrap = apply(img, 8, 6, b.setFillMode("wrap").build());
    assertThat(r(nearest, 8, 0, 0)).isEqualTo(2);
    assertThat(new int[] {r(nearest, 8, 6, 2), r(nearest, 8, 7, 2)}).containsExactly(7, 7);
    assertThat(new int[] {r(constant, 8, 6, 2), r(constant, 8, 7, 2)}).containsExactly(100, 100);
    assertThat(new int[] {r(reflect, 8, 6, 2), r(reflect, 8, 7, 2)}).containsExactly(7, 6);
    assertThat(new int[] {r(wrap, 8, 6, 2), r(wrap, 8, 7, 2)}).containsExactly(0, 1);
  }

  @Test
  void colourOpsHaveTheirDefinitions() {
    byte[] px = new byte[4 * 3];
    for (int i = 0; i < 4; i++) {
      px[i * 3] = (byte) 100;
      px[i * 3 + 1] = (byte) 50;
      px[i * 3 + 2] = (byte) 0;
    }
    try (Mat m = Pixels.fromHwc(px, 2, 2)) {
      try (Mat o = Photometric.shiftAndScale(m, 10, 2)) {
        assertThat(Pixels.toHwc(o)).startsWith((byte) 220, (byte) 120, (byte) 20); // 2·(v + 10)
      }
      try (Mat o = Photometric.shiftAndScale(m, 0, 3)) {
        assertThat(Pixels.toHwc(o)).startsWith((byte) 255, (byte) 150, (byte) 0); // saturated
      }
      try (Mat o = Photometric.saturation(m, 0)) {
        byte[] g = Pixels.toHwc(o);
        assertThat(g[0]).isEqualTo(g[1]).isEqualTo(g[2]); // greyscale
      }
      try (Mat o = Photometric.contrast(m, 0)) {
        byte[] g = Pixels.toHwc(o);
        assertThat(g[0]).isEqualTo(g[1]).isEqualTo(g[2]).isEqualTo(g[3]); // every value = mean grey
      }
    }
    byte[] dot = new byte[9 * 9 * 3];
    dot[(4 * 9 + 4) * 3] = (byte) 255;
    try (Mat m = Pixels.fromHwc(dot, 9, 9); Mat o = Photometric.blur(m, 1.0)) {
      byte[] b = Pixels.toHwc(o);
      assertThat(r(b, 9, 4, 4)).isLessThan(255).isGreaterThan(r(b, 9, 5, 4));
      assertThat(r(b, 9, 5, 4)).isPositive().isEqualTo(r(b, 9, 3, 4));
    }
  }

  @Test
  void sameSeedGivesByteIdenticalOutputOtherEpochsDiffer() {
    AugmentSpec spec = new AugmentSpec(30, 0.1, 0.1, 10, 0.8, 1.2, true, true, 0.8, 1.2, 20,
        AugmentSpec.FillMode.REFLECT, 0, 1.0, 0.2, 0.2);
    byte[] img = gradient(32, 24);
    long s0 = Seeds.derive(42, "abc", 0, 0);
    long s1 = Seeds.derive(42, "abc", 1, 0);
    assertThat(s1).isNotEqualTo(s0).isNotEqualTo(Seeds.derive(43, "abc", 0, 0));
    AugmentationParams a = Augmenter.sample(spec, new SplittableRandom(s0), s0, 32, 24);
    assertThat(Augmenter.sample(spec, new SplittableRandom(s0), s0, 32, 24)).isEqualTo(a);
    assertThat(apply(img, 32, 24, a)).isEqualTo(apply(img, 32, 24, a));
    AugmentationParams b = Augmenter.sample(spec, new SplittableRandom(s1), s1, 32, 24);
    assertThat(apply(img, 32, 24, b)).isNotEqualTo(apply(img, 32, 24, a));
    assertThat(Math.abs(a.getRotationDeg())).isLessThanOrEqualTo(30);
    assertThat(a.getZoomX()).isBetween(0.8, 1.2).isNotEqualTo(a.getZoomY());
    assertThat(a.getFillMode()).isEqualTo("reflect");
    assertThat(a.getSpecHash()).isEqualTo(spec.hash());
  }

  @Test
  void shiftRangesAtOrAboveOneArePixels() {
    AugmentSpec px = new AugmentSpec(0, 20, 0, 0, 1, 1, false, false, 1, 1, 0, AugmentSpec.FillMode.NEAREST, 0, 0, 0, 0);
    for (long seed = 0; seed < 50; seed++) {
      AugmentationParams p = Augmenter.sample(px, new SplittableRandom(seed), seed, 224, 224);
      assertThat(Math.abs(p.getShiftX() * 224)).isLessThanOrEqualTo(20.0 + 1e-9);
    }
  }

  @Test
  void specValidationAndPropertiesNameTheKey() {
    assertThatThrownBy(() -> new AugmentSpec(200, 0.1, 0.1, 0, 0.9, 1.1, true, false, 1, 1, 0,
        AugmentSpec.FillMode.NEAREST, 0, 0, 0, 0)).hasMessage(
        "augment.rotation-range must be in [0.0, 180.0], was 200.0 (set --rotation-range)");
    assertThatThrownBy(() -> AugmentSpec.FillMode.parse("mirror")).hasMessage(
        "augment.fill-mode must be nearest, constant, reflect or wrap, was 'mirror' (set --fill-mode)");
    Properties p = new Properties();
    p.setProperty("rotation_range", "15");
    p.setProperty("zoom_range", "0.2");
    p.setProperty("fill_mode", "wrap");
    AugmentSpec s = AugmentSpec.fromProperties(p, AugmentSpec.defaults());
    assertThat(s.rotationRange()).isEqualTo(15);
    assertThat(s.zoomLow()).isCloseTo(0.8, offset(1e-12));
    assertThat(s.zoomHigh()).isCloseTo(1.2, offset(1e-12));
    assertThat(s.fillMode()).isEqualTo(AugmentSpec.FillMode.WRAP);
    assertThat(s.widthShiftRange()).isEqualTo(0.1); // from the base
    assertThat(s.hash()).isNotEqualTo(AugmentSpec.defaults().hash());
    p.setProperty("rotation", "15");
    assertThatThrownBy(() -> AugmentSpec.fromProperties(p, AugmentSpec.defaults())).hasMessageContaining(
        "augment spec key 'rotation' is unknown");
  }
}
