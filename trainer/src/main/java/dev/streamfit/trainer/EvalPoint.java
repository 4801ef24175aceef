package dev.streamfit.trainer;

import java.util.Locale;

/**
 * One evaluation in the training history. Immutable (kept in checkpoints, drawn in the learning curve). NaN
 * marks a metric that was not measured (e.g. no validation data yet).
 *
 * @param step optimisation steps when evaluated
 * @param epoch epoch of the newest train samples (the finished one for {@code epoch_end})
 * @param trigger {@code epoch_end}, {@code every_steps} or {@code idle}
 * @param learningRate head learning rate at that step
 * @param trainLoss mean minibatch loss since the previous evaluation
 * @param trainAccuracy accuracy on a sample of the train records since the previous evaluation
 * @param valLoss validation loss
 * @param valAccuracy validation accuracy
 * @param testAccuracy test accuracy
 * @param publishedVersion version published from this evaluation, 0 if none
 */
public record EvalPoint(long step, int epoch, String trigger, double learningRate, double trainLoss,
    double trainAccuracy, double valLoss, double valAccuracy, double testAccuracy, long publishedVersion) {

  /** One tab-separated line (no newline). */
  public String toLine() {
    return String.format(Locale.ROOT, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d", step, epoch, trigger, learningRate,
        trainLoss, trainAccuracy, valLoss, valAccuracy, testAccuracy, publishedVersion);
  }

  /** Parses {@link #toLine()}. */
  public static EvalPoint parse(String line) {
    String[] f = line.split("\t");
    if (f.length != 10) {
      throw new IllegalArgumentException("history line has " + f.length + " fields, expected 10: " + line);
    }
    return new EvalPoint(Long.parseLong(f[0]), Integer.parseInt(f[1]), f[2], Double.parseDouble(f[3]),
        Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]),
        Double.parseDouble(f[8]), Long.parseLong(f[9]));
  }
}
