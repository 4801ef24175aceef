package dev.streamfit.trainer.internal;

/**
 * Whether a candidate replaces the champion (the served version). Pure. Both are scored on the same current
 * validation window, sample by sample, and compared with McNemar's exact test: of the samples exactly one of them gets
 * right, {@code b} the candidate only and {@code c} the champion only; under "equally good" b ~ Binomial(b + c, ½), and
 * the one-sided p-value is P(X ≥ b). The rules, in order:
 * <ol>
 *   <li>negative margin: publish every evaluation ({@code every});</li>
 *   <li>no champion yet: publish ({@code first});</li>
 *   <li>no validation samples: nothing to compare on; publish when there is new data ({@code no_validation});</li>
 *   <li>candidate accuracy below the champion's: never ({@code worse});</li>
 *   <li>better by more than the margin with p &lt; alpha: publish now ({@code better});</li>
 *   <li>not worse, new data trained since the champion and the publish interval elapsed: publish ({@code fresher});</li>
 *   <li>otherwise hold ({@code not_significant}, {@code interval} or {@code no_new_data}).</li>
 * </ol>
 */
public final class Promotion {
  private Promotion() {}

  /**
   * A decision.
   *
   * @param verdict rule that decided (see the class comment)
   * @param publish whether the candidate is published
   * @param pValue McNemar one-sided p-value (NaN when not compared)
   * @param candidateOnly samples only the candidate got right
   * @param championOnly samples only the champion got right
   */
  public record Decision(String verdict, boolean publish, double pValue, int candidateOnly, int championOnly) {}

  /**
   * Decides on {@code candidate} against {@code champion} (null: none), both scored on the same window.
   *
   * @param margin accuracy gain needed to publish as {@code better}; negative publishes every evaluation
   * @param alpha significance level of the gain, in (0, 1]
   * @param newData train samples were consumed since the champion was published
   * @param intervalElapsed the publish interval has passed since the last publication (false when the interval is off)
   */
  public static Decision decide(Score candidate, Score champion, double margin, double alpha, boolean newData,
      boolean intervalElapsed) {
    if (margin < 0) {
      return new Decision("every", true, Double.NaN, 0, 0);
    }
    if (champion == null) {
      return new Decision("first", true, Double.NaN, 0, 0);
    }
    if (candidate.count() == 0) {
      return new Decision("no_validation", newData, Double.NaN, 0, 0);
    }
    if (candidate.count() != champion.count()) {
      throw new IllegalArgumentException("candidate and champion scored on different sets: " + candidate.count()
          + " vs " + champion.count() + " samples");
    }
    int b = 0;
    int c = 0;
    for (int i = 0; i < candidate.count(); i++) {
      b += candidate.correct()[i] && !champion.correct()[i] ? 1 : 0;
      c += !candidate.correct()[i] && champion.correct()[i] ? 1 : 0;
    }
    double p = mcnemarOneSided(b, c);
    double gain = candidate.accuracy() - champion.accuracy();
    if (b < c) {
      return new Decision("worse", false, p, b, c);
    }
    if (gain > margin && p < alpha) {
      return new Decision("better", true, p, b, c);
    }
    if (newData && intervalElapsed) {
      return new Decision("fresher", true, p, b, c);
    }
    // Here new data waits only for the interval, or there is none.
    String held = !newData ? "no_new_data" : gain > margin ? "not_significant" : "interval";
    return new Decision(held, false, p, b, c);
  }

  /** P(X ≥ b) for X ~ Binomial(b + c, ½): exact, summed in log space (no underflow for large windows). */
  public static double mcnemarOneSided(int b, int c) {
    int n = b + c;
    if (n == 0) {
      return 1.0;
    }
    // log P(X = k), from k = n down to b: P(n) = 2^-n, P(k-1) = P(k) · k / (n - k + 1).
    double logTerm = -n * Math.log(2);
    double max = logTerm;
    double[] logs = new double[n - b + 1];
    for (int k = n; k >= b; k--) {
      logs[n - k] = logTerm;
      max = Math.max(max, logTerm);
      if (k > 0) {
        logTerm += Math.log(k / (double) (n - k + 1));
      }
    }
    double sum = 0;
    for (double l : logs) {
      sum += Math.exp(l - max);
    }
    return Math.min(1.0, Math.exp(max + Math.log(sum)));
  }
}
