package dev.streamfit.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loaded classifier answering predictions on model-ready pixel tensors. Thread-safe: forward passes
 * are serialised on this instance (one graph, one workspace set).
 */
public final class Predictor {
  private final ComputationGraph graph;
  private final InputEncoder encoder;
  private final OutputDecoder decoder;
  private final List<String> labels;

  /** A predictor for a graph taking {@code layout} ({@link InputEncoder#NCHW} or NHWC) inputs. */
  public Predictor(ComputationGraph graph, List<String> labels, int height, int width, String layout) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.labels = List.copyOf(labels);
    this.encoder = new InputEncoder(height, width, layout);
    this.decoder = new OutputDecoder(labels);
  }

  /** Class probabilities for each image (uint8 HWC RGB at the input size), one row per image. */
  public double[][] probabilities(List<byte[]> images) {
    try (INDArray x = encoder.encode(images)) {
      INDArray out;
      synchronized (this) {
        CpuTuning.threadsForBatch(images.size());
        out = graph.outputSingle(false, x);
      }
      try (out) {
        double[][] rows = new double[images.size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = out.getRow(i).toDoubleVector();
        }
        return rows;
      }
    }
  }

  /** Top-k labels per image. */
  public List<List<LabelScore>> topK(List<byte[]> images, int k) {
    List<List<LabelScore>> result = new ArrayList<>();
    for (double[] p : probabilities(images)) {
      result.add(decoder.topK(p, k));
    }
    return result;
  }

  public List<String> labels() {
    return labels;
  }

  public int height() {
    return encoder.height();
  }

  public int width() {
    return encoder.width();
  }
}
