package dev.streamfit.bench.report;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How benchmarks report: one {@code RESULT <metric> <value>} line per headline figure, after the tables, and the
 * statistics the tables use. Stateless; prints to standard output.
 */
public final class Results {
  private Results() {}

  /** Prints {@code RESULT metric value}, the value formatted with {@code format} (e.g. {@code %.2f}). */
  public static void print(String metric, String format, double value) {
    System.out.println("RESULT " + metric + " " + String.format(Locale.ROOT, format, value));
  }

  /** Prints {@code RESULT metric value} for a value already written (e.g. {@code n/a}). */
  public static void print(String metric, String value) {
    System.out.println("RESULT " + metric + " " + value);
  }

  /** The {@code p}-th percentile (nearest rank) of {@code values}; NaN when empty. */
  public static double percentile(double[] values, double p) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length == 0 ? Double.NaN : s[Math.min(s.length - 1, Math.max(0, (int) Math.ceil(p / 100 * s.length) - 1))];
  }

  /** As {@link #percentile(double[], double)} over a list. */
  public static double percentile(List<Double> values, double p) {
    return percentile(values.stream().mapToDouble(Double::doubleValue).toArray(), p);
  }

  /** The median of {@code values} (the mean of the middle two for an even count); NaN when empty. */
  public static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
