package dev.streamfit.engine;

import dev.streamfit.engine.internal.GradCam;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A loaded classifier answering predictions on model-ready pixel tensors. Thread-safe: forward passes
 * are serialised on this instance (one graph, one workspace set). {@link #close} frees the graph's native
 * memory; the predictor must not be used afterwards.
 */
public final class Predictor implements AutoCloseable {
  private final ComputationGraph graph;
  private final InputEncoder encoder;
  private final OutputDecoder decoder;
  private final List<String> labels;
  private final int threads;
  private boolean closed;

  /** A predictor for a graph taking {@code layout} ({@link InputEncoder#NCHW} or NHWC) inputs. */
  public Predictor(ComputationGraph graph, List<String> labels, int height, int width, String layout) {
    this(graph, labels, height, width, layout, 0);
  }

  /**
   * As above, with {@code threads} OpenMP threads per forward pass, or 0 to choose from the batch size
   * ({@link CpuTuning#threadsForBatch}). Set it when several predictors run forward passes at once (one
   * per core: 1).
   */
  public Predictor(ComputationGraph graph, List<String> labels, int height, int width, String layout, int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, was " + threads);
    }
    this.threads = threads;
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
        if (closed) {
          throw new IllegalStateException("predictor closed");
        }
        if (threads > 0) {
          CpuTuning.setThreads(threads);
        } else {
          CpuTuning.threadsForBatch(images.size());
        }
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
  public List<List<ClassProbability>> topK(List<byte[]> images, int k) {
    List<List<ClassProbability>> result = new ArrayList<>();
    for (double[] p : probabilities(images)) {
      result.add(decoder.topK(p, k));
    }
    return result;
  }

  /**
   * Where the model looked for each of the top {@code k} classes of {@code image} (uint8 HWC RGB at the input size):
   * Grad-CAM over the last convolutional map, one {@link HeatMap} per class, most probable first. Costs about one
   * forward pass (which also gives the classes) plus the map's arithmetic; serialised with the other passes on this
   * predictor.
   */
  public List<HeatMap> explain(byte[] image, int k) {
    GradCam.Maps maps = onePass(image, x -> GradCam.of(graph, x, k, Models.HEAD, Models.INNER));
    List<HeatMap> out = new ArrayList<>();
    for (int i = 0; i < maps.classes().length; i++) {
      out.add(new HeatMap(labels.get(maps.classes()[i]), maps.probabilities()[i], maps.rows(), maps.cols(),
          maps.perClass().get(i)));
    }
    return out;
  }

  // One single-image pass of the graph under this predictor's lock (closed check, thread count).
  private <T> T onePass(byte[] image, Function<INDArray, T> pass) {
    try (INDArray x = encoder.encode(List.of(image))) {
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("predictor closed");
        }
        CpuTuning.setThreads(threads > 0 ? threads : 1);
        return pass.apply(x);
      }
    }
  }

  /**
   * The first {@code most} channels of layer {@code layer} for {@code image} (uint8 HWC RGB at the input size), each
   * scaled to [0, 1]; serialised with the other passes on this predictor.
   *
   * @throws IllegalArgumentException naming the convolutional layers when {@code layer} is not one
   */
  public FeatureMaps featureMaps(byte[] image, String layer, int most) {
    int[] channels = new int[1];
    GradCam.Maps maps = onePass(image, x -> GradCam.channels(graph, x, layer, most, channels));
    return new FeatureMaps(layer, channels[0], maps.rows(), maps.cols(), maps.perClass());
  }

  /**
   * Frees the graph's parameters (waits for a running forward pass). Idempotent. Deliberately not
   * {@link ComputationGraph#close()}: that also destroys the calling thread's workspaces and calls
   * {@code System.gc()}, a full stop-the-world collection on every model swap (README, "Serving").
   */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      INDArray params = graph.params();
      if (params != null && params.closeable()) {
        params.close();
      }
    }
  }

  /** A predictor on a deep copy of this graph, with {@code threads} OpenMP threads per pass (0 = auto). */
  public synchronized Predictor copy(int threads) {
    if (closed) {
      throw new IllegalStateException("predictor closed");
    }
    return new Predictor(graph.clone(), labels, encoder.height(), encoder.width(), encoder.layout(), threads);
  }

  public List<String> labels() {
    return labels;
  }

  public int height() {
    return encoder.height();
  }

  /** Number of parameters of the model. */
  public synchronized long parameterCount() {
    return graph.numParams();
  }

  public int width() {
    return encoder.width();
  }
}
