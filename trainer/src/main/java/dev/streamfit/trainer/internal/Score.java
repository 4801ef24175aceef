package dev.streamfit.trainer.internal;

import dev.streamfit.engine.Classifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's result on an evaluation set: which samples it got right (in set order, so two models scored on the same
 * set can be compared sample by sample), mean cross-entropy, and accuracy per label. Immutable.
 *
 * @param correct per sample, whether the top class was the label
 * @param truth per sample, the label's index
 * @param loss mean cross-entropy (NaN for an empty set)
 * @param labels label names by index
 */
public record Score(boolean[] correct, int[] truth, double loss, List<String> labels) {
  /** No samples. */
  public static Score empty(List<String> labels) {
    return new Score(new boolean[0], new int[0], Double.NaN, labels);
  }

  /** Scores {@code model} on {@code set} (labels must be in {@code labels}), in chunks of 32. */
  public static Score of(Classifier model, List<Held> set, List<String> labels) {
    boolean[] correct = new boolean[set.size()];
    int[] truth = new int[set.size()];
    double loss = 0;
    for (int from = 0; from < set.size(); from += 32) {
      List<Held> chunk = set.subList(from, Math.min(set.size(), from + 32));
      double[][] out = SampleInput.hasActivations(chunk.get(0).sample())
          ? model.probabilitiesOfActivations(chunk.stream().map(h -> SampleInput.activations(h.sample())).toList())
          : model.probabilities(chunk.stream().map(h -> SampleInput.pixels(h.sample(), model.contract())).toList());
      for (int i = 0; i < chunk.size(); i++) {
        int t = labels.indexOf(chunk.get(i).sample().getLabel());
        int best = 0;
        for (int c = 1; c < out[i].length; c++) {
          best = out[i][c] > out[i][best] ? c : best;
        }
        correct[from + i] = best == t;
        truth[from + i] = t;
        loss -= Math.log(Math.max(1e-12, t < out[i].length && t >= 0 ? out[i][t] : 0));
      }
    }
    return new Score(correct, truth, set.isEmpty() ? Double.NaN : loss / set.size(), List.copyOf(labels));
  }

  /** Samples scored. */
  public int count() {
    return correct.length;
  }

  /** Fraction right; NaN for an empty set. */
  public double accuracy() {
    if (correct.length == 0) {
      return Double.NaN;
    }
    int n = 0;
    for (boolean b : correct) {
      n += b ? 1 : 0;
    }
    return n / (double) correct.length;
  }

  /** Accuracy per label that has samples, in label order. */
  public Map<String, Double> perClass() {
    int[] right = new int[labels.size()];
    int[] total = new int[labels.size()];
    for (int i = 0; i < correct.length; i++) {
      if (truth[i] >= 0 && truth[i] < labels.size()) {
        total[truth[i]]++;
        right[truth[i]] += correct[i] ? 1 : 0;
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (int k = 0; k < labels.size(); k++) {
      if (total[k] > 0) {
        out.put(labels.get(k), right[k] / (double) total[k]);
      }
    }
    return out;
  }

  /** Samples per label that has samples, in label order. */
  public Map<String, Integer> perClassCount() {
    int[] total = new int[labels.size()];
    for (int t : truth) {
      if (t >= 0 && t < labels.size()) {
        total[t]++;
      }
    }
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int k = 0; k < labels.size(); k++) {
      if (total[k] > 0) {
        out.put(labels.get(k), total[k]);
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Score s && Arrays.equals(correct, s.correct) && Arrays.equals(truth, s.truth)
        && Double.compare(loss, s.loss) == 0 && labels.equals(s.labels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(correct) * 31 + Arrays.hashCode(truth);
  }

  @Override
  public String toString() {
    return "Score[" + count() + " samples, accuracy " + accuracy() + ", loss " + loss + "]";
  }
}
