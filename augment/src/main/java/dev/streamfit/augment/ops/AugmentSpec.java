package dev.streamfit.augment.ops;

import dev.streamfit.common.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What random augmentation a train image gets, with the semantics and parameter names of Keras'
 * {@code ImageDataGenerator}. Immutable; validated on construction (errors name the key, the bound, the
 * value and the flag). Geometry is defined on the output (model-resolution) image.
 *
 * @param rotationRange rotation drawn from [-r, r] degrees, in [0, 180]
 * @param widthShiftRange horizontal shift from [-s, s]: a fraction of the width if below 1, else pixels
 * @param heightShiftRange vertical shift, same convention
 * @param shearRange shear angle drawn from [-s, s] degrees (Keras counter-clockwise convention), in [0, 89]
 * @param zoomLow lower bound of the zoom factors, in (0, zoomHigh]
 * @param zoomHigh upper bound; zoomX and zoomY are drawn independently from [zoomLow, zoomHigh]; a factor
 *     above 1 shows a smaller image (Keras: it samples a larger region)
 * @param horizontalFlip flip left-right with probability 1/2
 * @param verticalFlip flip top-bottom with probability 1/2
 * @param brightnessLow lower bound of the brightness multiplier (with brightnessHigh; 1 and 1 = off)
 * @param brightnessHigh upper bound of the brightness multiplier, in [brightnessLow, 10]
 * @param channelShiftRange intensity added to all channels, drawn from [-c, c], in [0, 255]
 * @param fillMode how points outside the input are filled
 * @param cval fill value for {@link FillMode#CONSTANT}, in [0, 255]
 * @param blurSigma Gaussian blur sigma drawn from [0, b] output pixels, in [0, 20]
 * @param contrastRange contrast factor drawn from [1 - c, 1 + c], in [0, 1]
 * @param saturationRange saturation factor drawn from [1 - s, 1 + s], in [0, 1]
 */
public record AugmentSpec(double rotationRange, double widthShiftRange, double heightShiftRange, double shearRange,
    double zoomLow, double zoomHigh, boolean horizontalFlip, boolean verticalFlip, double brightnessLow,
    double brightnessHigh, double channelShiftRange, FillMode fillMode, double cval, double blurSigma,
    double contrastRange, double saturationRange) {

  /** Keras {@code fill_mode}: what a point outside the input samples. */
  public enum FillMode {
    /** aaaa|abcd|dddd (OpenCV BORDER_REPLICATE). */
    NEAREST,
    /** kkkk|abcd|kkkk with k = cval (BORDER_CONSTANT). */
    CONSTANT,
    /** dcba|abcd|dcba (scipy 'reflect' = BORDER_REFLECT). */
    REFLECT,
    /** abcd|abcd|abcd (BORDER_WRAP). */
    WRAP;

    /** Parses a Keras name ({@code nearest}, {@code constant}, {@code reflect}, {@code wrap}). */
    public static FillMode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("augment.fill-mode must be nearest, constant, reflect or wrap, was '" + s
            + "' (set --fill-mode)");
      }
    }

    /** The Keras name. */
    public String keras() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public AugmentSpec {
    Objects.requireNonNull(fillMode, "fillMode");
    check("augment.rotation-range", rotationRange, 0, 180, "--rotation-range");
    check("augment.width-shift-range", widthShiftRange, 0, 4096, "--width-shift-range");
    check("augment.height-shift-range", heightShiftRange, 0, 4096, "--height-shift-range");
    check("augment.shear-range", shearRange, 0, 89, "--shear-range");
    check("augment.zoom-range", zoomLow, 0.01, 10, "--zoom-range");
    check("augment.zoom-range", zoomHigh, zoomLow, 10, "--zoom-range");
    check("augment.brightness-range", brightnessLow, 0, 10, "--brightness-range");
    check("augment.brightness-range", brightnessHigh, brightnessLow, 10, "--brightness-range");
    check("augment.channel-shift-range", channelShiftRange, 0, 255, "--channel-shift-range");
    check("augment.cval", cval, 0, 255, "--cval");
    check("augment.blur-sigma", blurSigma, 0, 20, "--blur-sigma");
    check("augment.contrast-range", contrastRange, 0, 1, "--contrast-range");
    check("augment.saturation-range", saturationRange, 0, 1, "--saturation-range");
  }

  /** The seed lesson's settings: rotation 30°, shift 10 %, zoom 0.9–1.1, horizontal flip, nearest fill. */
  public static AugmentSpec defaults() {
    return new AugmentSpec(30, 0.1, 0.1, 0, 0.9, 1.1, true, false, 1, 1, 0, FillMode.NEAREST, 0, 0, 0, 0);
  }

  /** No augmentation at all (the output is the resized input). */
  public static AugmentSpec none() {
    return new AugmentSpec(0, 0, 0, 0, 1, 1, false, false, 1, 1, 0, FillMode.NEAREST, 0, 0, 0, 0);
  }

  /**
   * A spec from Keras-named properties (e.g. a {@code .properties} file): {@code rotation_range},
   * {@code width_shift_range}, {@code height_shift_range}, {@code shear_range}, {@code zoom_range}
   * ({@code z} for [1-z, 1+z] or {@code lo,hi}), {@code horizontal_flip}, {@code vertical_flip},
   * {@code brightness_range} ({@code lo,hi}), {@code channel_shift_range}, {@code fill_mode}, {@code cval},
   * {@code blur_sigma}, {@code contrast_range}, {@code saturation_range}. Missing keys take
   * {@code base}'s values; unknown keys are an error naming them.
   */
  public static AugmentSpec fromProperties(Properties p, AugmentSpec base) {
    Map<String, String> m = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
    Set<String> known = Set.of("rotation_range", "width_shift_range", "height_shift_range",
        "shear_range", "zoom_range", "horizontal_flip", "vertical_flip", "brightness_range", "channel_shift_range",
        "fill_mode", "cval", "blur_sigma", "contrast_range", "saturation_range");
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException("augment spec key '" + k + "' is unknown; known: " + new TreeSet<>(known));
      }
    }
    double[] zoom = m.containsKey("zoom_range") ? range(m.get("zoom_range"), "zoom_range", true)
        : new double[] {base.zoomLow, base.zoomHigh};
    double[] bright = m.containsKey("brightness_range") ? range(m.get("brightness_range"), "brightness_range", false)
        : new double[] {base.brightnessLow, base.brightnessHigh};
    return new AugmentSpec(num(m, "rotation_range", base.rotationRange), num(m, "width_shift_range", base.widthShiftRange),
        num(m, "height_shift_range", base.heightShiftRange), num(m, "shear_range", base.shearRange), zoom[0], zoom[1],
        bool(m, "horizontal_flip", base.horizontalFlip), bool(m, "vertical_flip", base.verticalFlip), bright[0], bright[1],
        num(m, "channel_shift_range", base.channelShiftRange),
        m.containsKey("fill_mode") ? FillMode.parse(m.get("fill_mode")) : base.fillMode, num(m, "cval", base.cval),
        num(m, "blur_sigma", base.blurSigma), num(m, "contrast_range", base.contrastRange),
        num(m, "saturation_range", base.saturationRange));
  }

  /** Parses {@code z} (as [1-z, 1+z] when {@code kerasFloat}) or {@code lo,hi}. */
  public static double[] range(String s, String key, boolean kerasFloat) {
    String[] parts = s.split(",");
    try {
      if (parts.length == 1 && kerasFloat) {
        double z = Double.parseDouble(parts[0].trim());
        return new double[] {1 - z, 1 + z};
      }
      if (parts.length == 2) {
        return new double[] {Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim())};
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("augment." + key.replace('_', '-') + " must be " + (kerasFloat ? "a number z or " : "")
        + "two numbers lo,hi, was '" + s + "'");
  }

  private static double num(Map<String, String> m, String k, double dflt) {
    if (!m.containsKey(k)) {
      return dflt;
    }
    try {
      return Double.parseDouble(m.get(k));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("augment spec " + k + " must be a number, was '" + m.get(k) + "'");
    }
  }

  private static boolean bool(Map<String, String> m, String k, boolean dflt) {
    if (!m.containsKey(k)) {
      return dflt;
    }
    String v = m.get(k).toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("augment spec " + k + " must be true or false, was '" + m.get(k) + "'");
    }
    return Boolean.parseBoolean(v);
  }

  /** Canonical Keras-named description, e.g. {@code rotation_range=30.0;…}; the input of {@link #hash()}. */
  public String canonical() {
    return String.format(Locale.ROOT, "rotation_range=%s;width_shift_range=%s;height_shift_range=%s;shear_range=%s;"
        + "zoom_range=%s,%s;horizontal_flip=%s;vertical_flip=%s;brightness_range=%s,%s;channel_shift_range=%s;"
        + "fill_mode=%s;cval=%s;blur_sigma=%s;contrast_range=%s;saturation_range=%s", rotationRange, widthShiftRange,
        heightShiftRange, shearRange, zoomLow, zoomHigh, horizontalFlip, verticalFlip, brightnessLow, brightnessHigh,
        channelShiftRange, fillMode.keras(), cval, blurSigma, contrastRange, saturationRange);
  }

  /** Short stable hash of {@link #canonical()}, recorded with every sample and in model provenance. */
  public String hash() {
    return Hashes.sha256Hex(canonical().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  private static void check(String key, double v, double lo, double hi, String flag) {
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(key + " must be in [" + lo + ", " + hi + "], was " + v + " (set " + flag + ")");
    }
  }
}
