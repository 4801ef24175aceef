package dev.streamfit.engine;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * A trainable image classifier over uint8 HWC RGB pixels at its input size: fit a minibatch, class probabilities,
 * learning rates, head growth (a label set that grew), bytes. It hides the DL4J graph and its tensors from the
 * stages (the trainer and the serving verifier see this type and {@link Predictor}, never {@code ComputationGraph} or
 * {@code INDArray}). Not thread-safe; {@link #close} frees its native memory, after which it must not be used.
 */
public final class Classifier implements AutoCloseable {
  private volatile int nativeThreads;
  private ComputationGraph graph;
  private final InputContract contract;
  private final InputEncoder encoder;
  private int classes;

  private Classifier(ComputationGraph graph, InputContract contract, int classes) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.contract = contract;
    this.encoder = contract.encoder();
    this.classes = classes;
  }

  /** A new classifier: {@code base} (frozen, per {@code spec}) and a fresh head with one output per label. */
  public static Classifier create(BaseModel base, TrainingSpec spec, List<String> labels, long seed, int imageSize) {
    return create(base, spec, ScratchShape.DEFAULT, labels, seed, imageSize);
  }

  /** As {@link #create(BaseModel, TrainingSpec, List, long, int)}; {@code shape} applies to {@link BaseModel#SCRATCH_CNN}. */
  public static Classifier create(BaseModel base, TrainingSpec spec, ScratchShape shape, List<String> labels, long seed,
      int imageSize) {
    return new Classifier(Models.newClassifier(base, spec, shape, labels, seed, imageSize), InputContract.square(imageSize),
        labels.size());
  }

  /**
   * A classifier restored from {@link #toBytes}; {@code withUpdater} restores the optimizer state too (to train
   * on). It takes {@code contract}: the one its version declares.
   */
  public static Classifier fromBytes(byte[] bytes, boolean withUpdater, InputContract contract) throws IOException {
    ComputationGraph g = Models.fromBytes(bytes, withUpdater);
    int outputs = g.getOutputLayer(0).conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer f
        ? (int) f.getNOut() : -1;
    return new Classifier(g, contract, outputs);
  }

  /**
   * One optimisation step on a minibatch: {@code pixels} (uint8 HWC RGB at the input size) with the class index of
   * each. Returns the minibatch loss (NaN or infinite when training diverged).
   */
  public double fit(List<byte[]> pixels, int[] classIndex) {
    open();
    if (pixels.size() != classIndex.length) {
      throw new IllegalArgumentException(pixels.size() + " images but " + classIndex.length + " labels");
    }
    float[] y = new float[pixels.size() * classes];
    for (int i = 0; i < classIndex.length; i++) {
      if (classIndex[i] < 0 || classIndex[i] >= classes) {
        throw new IllegalArgumentException("class index " + classIndex[i] + " outside [0, " + classes + ")");
      }
      y[i * classes + classIndex[i]] = 1f;
    }
    try (INDArray x = encoder.encode(pixels); INDArray labels = Nd4j.create(y, new long[] {pixels.size(), classes})) {
      threads(pixels.size());
      graph.fit(new DataSet(x, labels));
    }
    return graph.score();
  }

  /** Class probabilities, one row per image (uint8 HWC RGB at the input size). */
  public double[][] probabilities(List<byte[]> pixels) {
    open();
    try (INDArray x = encoder.encode(pixels)) {
      threads(pixels.size());
      try (INDArray out = graph.outputSingle(false, x)) {
        double[][] rows = new double[pixels.size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = out.getRow(i).toDoubleVector();
        }
        return rows;
      }
    }
  }

  /**
   * Native (OpenMP) threads of this classifier's next {@link #fit} and {@link #probabilities} calls, on the calling
   * thread: {@code n ≥ 1} exactly, 0 chosen per call from the batch size ({@link CpuTuning#threadsForBatch}, the
   * default). Set it when two classifiers run at once on one machine (training beside evaluation), so that together
   * they use the cores once instead of spinning against each other. An explicit {@code OMP_NUM_THREADS} wins.
   */
  public void setNativeThreads(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("native threads must be >= 0, was " + n);
    }
    nativeThreads = n;
  }

  private void threads(int batch) {
    if (nativeThreads > 0 && System.getenv("OMP_NUM_THREADS") == null) {
      CpuTuning.setThreads(nativeThreads);
    } else {
      CpuTuning.threadsForBatch(batch); // leaves an explicit OMP_NUM_THREADS alone
    }
  }

  /**
   * Sets the learning rates in place, keeping the optimizer state: {@code headRate} for the head, {@code baseRate}
   * for fine-tuned base layers. Between {@link #fit} calls only.
   */
  public void setLearningRates(double headRate, double baseRate) {
    Models.setLearningRates(open(), headRate, baseRate);
  }

  /**
   * Widens the head to {@code newClasses} outputs (a label set that grew): the existing classes keep their weights,
   * bias and optimizer state, so their predictions are unchanged until the next {@link #fit}; the new outputs start
   * from a fresh initialization. Throws IllegalArgumentException when {@code newClasses} is not more than
   * {@link #classes()} or the loss weights classes (it has no weight for a new one).
   */
  public void growHead(int newClasses) {
    ComputationGraph old = open();
    ComputationGraph grown = dev.streamfit.engine.internal.HeadGrowth.grow(old, Models.HEAD, newClasses);
    graph = grown;
    classes = newClasses;
    INDArray params = old.params();
    if (params != null && params.closeable()) {
      params.close();
    }
  }

  /** Names of the layers {@link #fit} updates, in graph order. */
  public List<String> trainableLayers() {
    return Models.trainableLayers(open());
  }

  /** The model as bytes ({@link Models#FORMAT}); with {@code withUpdater} the optimizer state too (checkpoints). */
  public byte[] toBytes(boolean withUpdater) {
    return Models.toBytes(open(), withUpdater);
  }

  /** Number of parameters (0 for a graph without any). */
  public long parameterCount() {
    INDArray p = open().params();
    return p == null ? 0 : p.length();
  }

  /** Whether any parameter is NaN or infinite. */
  public boolean hasNonFiniteWeights() {
    INDArray p = open().params();
    return p != null && (BooleanIndexing.or(p, Conditions.isNan()) || BooleanIndexing.or(p, Conditions.isInfinite()));
  }

  /** Outputs (classes) of the head; -1 when a restored graph does not say. */
  public int classes() {
    return classes;
  }

  /** What this classifier takes (written into each version it is published as). */
  public InputContract contract() {
    return contract;
  }

  /**
   * A thread-safe {@link Predictor} over this model with {@code labels} (one per output) and {@code threads} OpenMP
   * threads per pass (0 = auto); the predictor takes the model over and this classifier is closed. Whether the
   * labels match the outputs is the caller's check (the serving verifier's smoke prediction).
   */
  public Predictor toPredictor(List<String> labels, int threads) {
    ComputationGraph g = open();
    graph = null;
    return new Predictor(g, labels, encoder.height(), encoder.width(), encoder.layout(), threads);
  }

  private ComputationGraph open() {
    if (graph == null) {
      throw new IllegalStateException("classifier closed");
    }
    return graph;
  }

  /** Frees the parameters (not {@code ComputationGraph.close()}, see {@link Predictor#close}). Idempotent. */
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
}
