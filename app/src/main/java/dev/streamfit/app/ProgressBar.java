package dev.streamfit.app;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongConsumer;

/** A one-line progress bar on a terminal stream, redrawn at most 10 times a second. Not thread-safe. */
final class ProgressBar implements LongConsumer {
  private final long total;
  private final PrintStream out;
  private final long start = System.nanoTime();
  private long lastDraw;

  ProgressBar(long total, PrintStream out) {
    this.total = Math.max(1, total);
    this.out = out;
  }

  @Override
  public void accept(long done) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    int width = 30;
    int filled = (int) (width * Math.min(done, total) / total);
    double secs = (now - start) / 1e9;
    out.printf(Locale.ROOT, "\r[%s%s] %d/%d files, %.0f files/s", "#".repeat(filled), ".".repeat(width - filled), done, total,
        done / Math.max(1e-9, secs));
    if (done >= total) {
      out.println();
    }
  }
}
