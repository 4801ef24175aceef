package dev.streamfit.trainer.internal;

import dev.streamfit.trainer.EvalPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * Draws the learning curve (loss and accuracy over optimisation steps, train and validation, epoch ends
 * marked) as a PNG with Java2D, headless. Pure: the picture depends only on the points.
 */
public final class LearningCurve {
  private static final int W = 1000;
  private static final int H = 420;
  private static final Color TRAIN = new Color(0x1f77b4);
  private static final Color VAL = new Color(0xd62728);

  private LearningCurve() {}

  /** Renders {@code points} (in step order) into {@code png}, replacing it atomically. */
  public static void write(List<EvalPoint> points, String title, Path png) throws IOException {
    BufferedImage img = render(points, title);
    Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
    ImageIO.write(img, "png", tmp.toFile());
    Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The picture: loss on the left, accuracy on the right. */
  public static BufferedImage render(List<EvalPoint> points, String title) {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, W, H);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString(title, 20, 24);
      double maxLoss = 0;
      for (EvalPoint p : points) {
        maxLoss = Math.max(maxLoss, finite(p.trainLoss(), 0));
        maxLoss = Math.max(maxLoss, finite(p.valLoss(), 0));
      }
      maxLoss = maxLoss <= 0 ? 1 : maxLoss * 1.1;
      panel(g, points, 60, "loss", 0, maxLoss, EvalPoint::trainLoss, EvalPoint::valLoss);
      panel(g, points, 560, "accuracy", 0, 1, EvalPoint::trainAccuracy, EvalPoint::valAccuracy);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.setColor(TRAIN);
      g.drawString("■ train", W - 190, H - 12); // legend under the panels, clear of a long title
      g.setColor(VAL);
      g.drawString("■ validation", W - 120, H - 12);
    } finally {
      g.dispose();
    }
    return img;
  }

  private static void panel(Graphics2D g, List<EvalPoint> points, int x0, String name, double lo, double hi,
      ToDoubleFunction<EvalPoint> train, ToDoubleFunction<EvalPoint> val) {
    int pw = 400;
    int ph = 300;
    int y0 = 60;
    long maxStep = Math.max(1, points.isEmpty() ? 1 : points.get(points.size() - 1).step());
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1));
    g.drawRect(x0, y0, pw, ph);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(name, x0 + pw / 2 - 20, y0 - 8);
    g.drawString("step", x0 + pw / 2 - 10, y0 + ph + 35);
    for (int i = 0; i <= 4; i++) {
      double v = lo + (hi - lo) * i / 4;
      int y = y0 + ph - (int) Math.round(ph * i / 4.0);
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(x0 + 1, y, x0 + pw - 1, y);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.2f", v), x0 - 40, y + 4);
    }
    g.drawString("0", x0 - 3, y0 + ph + 16);
    g.drawString(String.valueOf(maxStep), x0 + pw - 20, y0 + ph + 16);
    g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
    for (EvalPoint p : points) {
      if ("epoch_end".equals(p.trigger())) {
        int x = x0 + (int) Math.round(pw * p.step() / (double) maxStep);
        g.setColor(Color.GRAY);
        g.drawLine(x, y0, x, y0 + ph);
        g.drawString("e" + (p.epoch() + 1), x - 8, y0 + ph + 28);
      }
    }
    series(g, points, x0, y0, pw, ph, lo, hi, maxStep, train, TRAIN);
    series(g, points, x0, y0, pw, ph, lo, hi, maxStep, val, VAL);
  }

  private static void series(Graphics2D g, List<EvalPoint> points, int x0, int y0, int pw, int ph, double lo, double hi,
      long maxStep, ToDoubleFunction<EvalPoint> f, Color c) {
    g.setColor(c);
    g.setStroke(new BasicStroke(2));
    int px = -1;
    int py = -1;
    for (EvalPoint p : points) {
      double v = f.applyAsDouble(p);
      if (!Double.isFinite(v)) {
        continue;
      }
      int x = x0 + (int) Math.round(pw * p.step() / (double) maxStep);
      int y = y0 + ph - (int) Math.round(ph * (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo));
      g.fillOval(x - 3, y - 3, 6, 6);
      if (px >= 0) {
        g.drawLine(px, py, x, y);
      }
      px = x;
      py = y;
    }
  }

  private static double finite(double v, double otherwise) {
    return Double.isFinite(v) ? v : otherwise;
  }
}
