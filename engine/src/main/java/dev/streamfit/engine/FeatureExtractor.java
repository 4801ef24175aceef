package dev.streamfit.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs a {@link FrozenPrefix} over uint8 HWC RGB images at its input size and returns each image's
 * {@link Activations}: exactly what a classifier with that frozen part feeds its trainable top
 * ({@link Classifier#fitActivations}). Not thread-safe (one per thread: each holds its own copy of the weights);
 * {@link #close} frees its native memory.
 */
public final class FeatureExtractor implements AutoCloseable {
  private final FrozenPrefix prefix;
  private final InputEncoder encoder;
  private final List<Integer> shape;
  private final String hash;
  private ComputationGraph graph;
  private int nativeThreads;

  private FeatureExtractor(FrozenPrefix prefix, ComputationGraph graph) {
    this.prefix = prefix;
    this.graph = graph;
    this.encoder = new InputEncoder(prefix.imageSize(), prefix.imageSize(), InputEncoder.NCHW);
    this.hash = prefix.hash();
    try (INDArray probe = graph.output(List.of(prefix.cut()), false,
        new INDArray[] {encoder.encode(List.of(new byte[prefix.imageSize() * prefix.imageSize() * 3]))}, null)[0]) {
      long[] s = probe.shape();
      List<Integer> dims = new ArrayList<>();
      for (int i = 1; i < s.length; i++) {
        dims.add((int) s[i]);
      }
      this.shape = List.copyOf(dims);
    }
  }

  /** Imports and optimizes the base (seconds) and cuts it at {@code prefix.cut()}. */
  public static FeatureExtractor create(FrozenPrefix prefix) {
    TrainingSpec spec = new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 1e-3, 0.9,
        prefix.trainableBlocks(), 1e-3, List.of());
    // The frozen part of a classifier built the way the trainer builds it: the same vertices, the same weights.
    ComputationGraph g = Models.newClassifier(prefix.base(), spec, List.of("a", "b"), 0, prefix.imageSize());
    return new FeatureExtractor(prefix, g);
  }

  /** What this extractor computes. */
  public FrozenPrefix prefix() {
    return prefix;
  }

  /** {@link FrozenPrefix#hash()} of {@link #prefix()} (computed once). */
  public String hash() {
    return hash;
  }

  /** Per-sample shape of the activations, e.g. {@code [56, 7, 7]} or {@code [1280]}. */
  public List<Integer> shape() {
    return shape;
  }

  /** OpenMP threads of each {@link #extract} on the calling thread: {@code n ≥ 1}, or 0 to choose per batch. */
  public void setNativeThreads(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("native threads must be >= 0, was " + n);
    }
    nativeThreads = n;
  }

  /** Activations of each image ({@code size*size*3} bytes each; IllegalArgumentException otherwise). */
  public List<Activations> extract(List<byte[]> pixels) {
    if (graph == null) {
      throw new IllegalStateException("feature extractor closed");
    }
    if (pixels.isEmpty()) {
      return List.of();
    }
    if (nativeThreads > 0 && System.getenv("OMP_NUM_THREADS") == null) {
      CpuTuning.setThreads(nativeThreads);
    } else {
      CpuTuning.threadsForBatch(pixels.size());
    }
    try (INDArray x = encoder.encode(pixels);
        INDArray raw = graph.output(List.of(prefix.cut()), false, new INDArray[] {x}, null)[0];
        INDArray out = raw.ordering() == 'c' && !raw.isView() ? raw : raw.dup('c')) {
      int per = Activations.size(shape);
      FloatBuffer buf = out.data().asNioFloat();
      List<Activations> result = new ArrayList<>(pixels.size());
      for (int i = 0; i < pixels.size(); i++) {
        float[] v = new float[per];
        buf.get(i * per, v, 0, per);
        result.add(new Activations(shape, v));
      }
      return result;
    }
  }

  @Override
  public void close() {
    if (graph != null) {
      INDArray params = graph.params();
      if (params != null && params.closeable()) {
        params.close();
      }
      graph = null;
    }
  }

  @Override
  public String toString() {
    return "FeatureExtractor[" + prefix.describe() + " → " + Arrays.toString(shape.toArray()) + "]";
  }
}
