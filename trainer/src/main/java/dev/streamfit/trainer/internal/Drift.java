package dev.streamfit.trainer.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drift: a label on which the served model does clearly worse on the recent validation window than when it was
 * published. Pure.
 */
public final class Drift {
  private Drift() {}

  /**
   * A label whose accuracy dropped.
   *
   * @param label the label
   * @param reference the champion's accuracy on it when published
   * @param recent the champion's accuracy on it now, on the recent window
   * @param count samples of it in the window
   */
  public record Drop(String label, double reference, double recent, int count) {}

  /**
   * Labels whose {@code recent} accuracy is below {@code reference} by more than {@code threshold}, counting only
   * labels with at least {@code minCount} samples in the window (fewer is noise). Empty when {@code threshold ≥ 1}.
   */
  public static List<Drop> drops(Map<String, Double> reference, Score recent, double threshold, int minCount) {
    List<Drop> out = new ArrayList<>();
    if (threshold >= 1) {
      return out;
    }
    Map<String, Integer> counts = recent.perClassCount();
    recent.perClass().forEach((label, acc) -> {
      Double ref = reference.get(label);
      int n = counts.getOrDefault(label, 0);
      if (ref != null && n >= minCount && ref - acc > threshold) {
        out.add(new Drop(label, ref, acc, n));
      }
    });
    return out;
  }
}
