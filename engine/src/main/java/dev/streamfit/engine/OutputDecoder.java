package dev.streamfit.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Softmax rows → top-k {@link ClassProbability}s. No model needed; stateless and thread-safe. */
public final class OutputDecoder {
  private final List<String> labels;

  public OutputDecoder(List<String> labels) {
    this.labels = List.copyOf(labels);
  }

  /** Top {@code k} classes of row {@code row} of {@code probabilities}, most probable first. */
  public List<ClassProbability> topK(INDArray probabilities, int row, int k) {
    double[] p = probabilities.getRow(row).toDoubleVector();
    return topK(p, k);
  }

  /** Top {@code k} of a probability vector aligned with the labels. */
  public List<ClassProbability> topK(double[] p, int k) {
    if (p.length != labels.size()) {
      throw new IllegalArgumentException("model has " + p.length + " outputs but " + labels.size() + " labels");
    }
    List<ClassProbability> all = new ArrayList<>(p.length);
    for (int i = 0; i < p.length; i++) {
      all.add(new ClassProbability(labels.get(i), p[i]));
    }
    all.sort(Comparator.comparingDouble(ClassProbability::probability).reversed());
    return List.copyOf(all.subList(0, Math.max(0, Math.min(k, all.size()))));
  }

  /** Index of the largest value of each row. */
  public static int[] argMax(INDArray probabilities) {
    return probabilities.argMax(1).toIntVector();
  }
}
