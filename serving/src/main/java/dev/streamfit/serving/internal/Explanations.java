package dev.streamfit.serving.internal;

import dev.streamfit.engine.HeatMap;
import dev.streamfit.imaging.Pixels;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * {@code ?explain=true}: heat maps of a prediction's top classes and each one's overlay on the image (PNG, base64).
 * Explanations run one at a time per serving instance, on a copy of the model, beside ordinary predictions; a second
 * concurrent one is refused (429) rather than queued. Thread-safe.
 */
final class Explanations {
  /**
   * One class's explanation.
   *
   * @param map heat map values, row-major, in [0, 1]
   * @param overlayPng the image at the model's input size with the map over it (jet colours, half opacity), PNG
   *     in base64
   */
  record Explanation(String label, double probability, int rows, int cols, double[] map, String overlayPng) {}

  /**
   * A layer's first channels, each at the model's input size as a grey PNG (base64), brighter = stronger.
   *
   * @param channels the layer's channel count; {@code pngs} holds at most {@link #MAX_CHANNELS}
   */
  record Layer(String layer, int channels, int rows, int cols, List<String> pngs) {}

  /** Most channels of a layer returned. */
  static final int MAX_CHANNELS = 16;

  private final Semaphore slot = new Semaphore(1);

  /** Whether an explanation may start now; pair with {@link #done()}. */
  boolean tryStart() {
    return slot.tryAcquire();
  }

  void done() {
    slot.release();
  }

  /** The explanations of {@code e}, most probable class first. */
  static List<Explanation> of(PredictService.Explained e) {
    List<Explanation> out = new ArrayList<>();
    for (HeatMap m : e.maps()) {
      out.add(new Explanation(m.label(), m.probability(), m.rows(), m.cols(), m.values(),
          Base64.getEncoder().encodeToString(overlay(e.pixels(), e.width(), e.height(), m))));
    }
    return out;
  }

  /** The layer's channels of {@code e} as grey PNGs, or null when none was asked for. */
  static Layer layer(PredictService.Explained e) {
    if (e.layer() == null) {
      return null;
    }
    List<String> pngs = new ArrayList<>();
    for (double[] m : e.layer().maps()) {
      HeatMap channel = new HeatMap(e.layer().layer(), 0, e.layer().rows(), e.layer().cols(), m);
      pngs.add(Base64.getEncoder().encodeToString(grey(e.width(), e.height(), channel)));
    }
    return new Layer(e.layer().layer(), e.layer().channels(), e.layer().rows(), e.layer().cols(), pngs);
  }

  /** {@code m} upsampled bilinearly to {@code width} x {@code height}, grey, as PNG. */
  static byte[] grey(int width, int height, HeatMap m) {
    byte[] out = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int v = (int) Math.round(255 * sample(m, x, y, width, height));
        int o = (y * width + x) * 3;
        out[o] = (byte) v;
        out[o + 1] = (byte) v;
        out[o + 2] = (byte) v;
      }
    }
    try (Mat rgb = Pixels.fromHwc(out, height, width)) {
      return Pixels.encodePng(rgb);
    }
  }

  /** {@code m}'s bilinear value at pixel {@code x}, {@code y} of a {@code width} x {@code height} image. */
  static double sample(HeatMap m, int x, int y, int width, int height) {
    double fy = Math.max(0, Math.min(m.rows() - 1, (y + 0.5) * m.rows() / height - 0.5));
    int y0 = (int) fy;
    int y1 = Math.min(m.rows() - 1, y0 + 1);
    double dy = fy - y0;
    double fx = Math.max(0, Math.min(m.cols() - 1, (x + 0.5) * m.cols() / width - 0.5));
    int x0 = (int) fx;
    int x1 = Math.min(m.cols() - 1, x0 + 1);
    double dx = fx - x0;
    return (1 - dy) * ((1 - dx) * m.at(y0, x0) + dx * m.at(y0, x1)) + dy * ((1 - dx) * m.at(y1, x0) + dx * m.at(y1, x1));
  }

  /** {@code hwc} (RGB) with {@code m} upsampled bilinearly over it in jet colours at half opacity, as PNG. */
  static byte[] overlay(byte[] hwc, int width, int height, HeatMap m) {
    byte[] out = new byte[hwc.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double[] jet = jet(sample(m, x, y, width, height));
        int o = (y * width + x) * 3;
        for (int c = 0; c < 3; c++) {
          out[o + c] = (byte) Math.round(0.5 * (hwc[o + c] & 0xff) + 0.5 * 255 * jet[c]);
        }
      }
    }
    try (Mat rgb = Pixels.fromHwc(out, height, width)) {
      return Pixels.encodePng(rgb);
    }
  }

  /** The jet colour map: blue (0) → cyan → yellow → red (1). */
  static double[] jet(double v) {
    double r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 3)));
    double g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 2)));
    double b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 1)));
    return new double[] {r, g, b};
  }
}
