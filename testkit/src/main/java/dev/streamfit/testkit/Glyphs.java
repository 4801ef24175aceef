package dev.streamfit.testkit;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A generated grayscale dataset of up to ten glyph classes (an MNIST-like set for tests of label sets, growth and
 * small networks): each image a light glyph of random size and position on a dark, noisy background, written as PNG
 * in {@code <split>/<class>/}. Deterministic for a seed.
 */
public final class Glyphs {
  /** The classes, in the order they are usually taken. */
  public static final List<String> CLASSES =
      List.of("disc", "square", "triangle", "ring", "plus", "cross", "hbar", "vbar", "frame", "dots");

  private Glyphs() {}

  /**
   * Writes {@code perClass} train and {@code perClass / 3} (at least 2) validation and test images of each of
   * {@code classes} (names from {@link #CLASSES}), {@code side}x{@code side} px, under {@code dir}; returns it.
   */
  public static Path dataset(Path dir, List<String> classes, int perClass, long seed, int side) {
    Random r = new Random(seed);
    String[] splits = {"train", "validation", "test"};
    try {
      for (String split : splits) {
        int n = split.equals("train") ? perClass : Math.max(2, perClass / 3);
        for (String c : classes) {
          Path d = dir.resolve(split).resolve(c);
          Files.createDirectories(d);
          for (int i = 0; i < n; i++) {
            Files.write(d.resolve(String.format("%s-%04d.png", c, i)), TestImages.encode(image(c, side, r), "png"));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** One image of glyph {@code name} as model-ready pixels: RGB (the grey level thrice), row-major HWC. */
  public static byte[] rgbPixels(String name, int side, Random r) {
    BufferedImage img = image(name, side, r);
    byte[] px = new byte[side * side * 3];
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        byte v = (byte) img.getRaster().getSample(x, y, 0);
        int i = (y * side + x) * 3;
        px[i] = v;
        px[i + 1] = v;
        px[i + 2] = v;
      }
    }
    return px;
  }

  /** One image of glyph {@code name}. */
  public static BufferedImage image(String name, int side, Random r) {
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    int bg = 15 + r.nextInt(35);
    g.setColor(new Color(bg, bg, bg));
    g.fillRect(0, 0, side, side);
    for (int k = 0; k < side * side / 12; k++) {
      int v = bg + r.nextInt(40);
      g.setColor(new Color(v, v, v));
      g.fillRect(r.nextInt(side), r.nextInt(side), 1, 1);
    }
    int s = (int) (side * (0.55 + 0.25 * r.nextDouble()));
    int x = r.nextInt(Math.max(1, side - s));
    int y = r.nextInt(Math.max(1, side - s));
    int t = Math.max(2, s / 5);
    int v = 170 + r.nextInt(85);
    g.setColor(new Color(v, v, v));
    g.setStroke(new BasicStroke(t));
    int cx = x + s / 2;
    int cy = y + s / 2;
    switch (name) {
      case "disc" -> g.fillOval(x, y, s, s);
      case "square" -> g.fillRect(x, y, s, s);
      case "triangle" -> g.fillPolygon(new int[] {x, x + s, cx}, new int[] {y + s, y + s, y}, 3);
      case "ring" -> g.drawOval(x + t / 2, y + t / 2, s - t, s - t);
      case "plus" -> {
        g.fillRect(x, cy - t / 2, s, t);
        g.fillRect(cx - t / 2, y, t, s);
      }
      case "cross" -> {
        g.drawLine(x, y, x + s, y + s);
        g.drawLine(x, y + s, x + s, y);
      }
      case "hbar" -> g.fillRect(x, cy - t / 2, s, t);
      case "vbar" -> g.fillRect(cx - t / 2, y, t, s);
      case "frame" -> g.drawRect(x + t / 2, y + t / 2, s - t, s - t);
      case "dots" -> {
        int d = Math.max(3, s / 4);
        g.fillOval(x, y, d, d);
        g.fillOval(x + s - d, y, d, d);
        g.fillOval(x, y + s - d, d, d);
        g.fillOval(x + s - d, y + s - d, d, d);
      }
      default -> throw new IllegalArgumentException("no glyph " + name + "; one of " + CLASSES);
    }
    g.dispose();
    return img;
  }
}
