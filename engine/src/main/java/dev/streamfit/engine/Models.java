package dev.streamfit.engine;

import dev.streamfit.engine.internal.DistillationLoss;
import dev.streamfit.engine.internal.InferenceGraphOptimizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * The one model-loading path used by trainer and serving: importing a bundled base, building a
 * classifier on it, and (de)serialising graphs. Stateless; each call returns a new graph owned by
 * the caller. A {@link ComputationGraph} is not safe for concurrent {@code fit}/{@code output}.
 */
public final class Models {
  /** Value of {@code ModelVersion.format} for graphs written by {@link #toBytes}. */
  public static final String FORMAT = "dl4j-computation-graph";
  /** Name of the classifier's output layer. */
  public static final String HEAD = "head";
  /** Name of the optional inner dense layer of the head. */
  public static final String INNER = "head_inner";

  private Models() {}

  /** Imports {@code base} from the bundled Keras h5 (a few seconds). */
  public static ComputationGraph importBase(BaseModel base) {
    CpuTuning.enableHelpers();
    Path tmp = null;
    if (!base.pretrained()) {
      throw new IllegalArgumentException(base.id() + " has no pretrained weights to import (it is built by newClassifier)");
    }
    try (InputStream in = Models.class.getResourceAsStream(base.resource())) {
      if (in == null) {
        throw new IllegalStateException("bundled weights missing from classpath: " + base.resource());
      }
      tmp = Files.createTempFile("streamfit-base-", ".h5");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      return KerasModelImport.importKerasModelAndWeights(tmp.toString(), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled base " + base.id(), e);
    } catch (InvalidKerasConfigurationException | UnsupportedKerasConfigurationException e) {
      throw new IllegalStateException("cannot import base " + base.id() + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // temp file; best effort
        }
      }
    }
  }

  /**
   * {@code base} cut at its feature vertex and rewritten for fast CPU inference at
   * {@code imageSize}x{@code imageSize} (see {@link InferenceGraphOptimizer}: NCHW, BatchNorm folded,
   * activations fused, ReLU6, SAME padding). Same outputs as {@link #importBase} within float rounding.
   * Input: NCHW {@code [n, 3, size, size]}, RGB in [-1, 1].
   */
  public static ComputationGraph optimizedBase(BaseModel base, int imageSize) {
    return InferenceGraphOptimizer.optimize(importBase(base), base.featureVertex(), imageSize, imageSize);
  }

  /**
   * A classifier: the optimized {@code base} (NCHW, {@link #optimizedBase}) frozen, plus a new softmax
   * output layer over {@code labels.size()} classes trained with Adam.
   */
  public static ComputationGraph newClassifier(BaseModel base, List<String> labels, double learningRate, long seed,
      int imageSize) {
    return newClassifier(base, HeadSpec.SOFTMAX, labels, learningRate, seed, imageSize);
  }

  /** As {@link #newClassifier(BaseModel, List, double, long, int)} with the given head. */
  public static ComputationGraph newClassifier(BaseModel base, HeadSpec head, List<String> labels, double learningRate,
      long seed, int imageSize) {
    return classifierOn(optimizedBase(base, imageSize), base, head, labels, learningRate, seed);
  }

  /** A classifier on the optimized {@code base} at {@code imageSize}, trained as {@code spec} says. */
  public static ComputationGraph newClassifier(BaseModel base, TrainingSpec spec, List<String> labels, long seed,
      int imageSize) {
    return newClassifier(base, spec, ScratchShape.DEFAULT, labels, seed, imageSize);
  }

  /** As {@link #newClassifier(BaseModel, TrainingSpec, List, long, int)}; {@code shape} shapes {@link BaseModel#SCRATCH_CNN}. */
  public static ComputationGraph newClassifier(BaseModel base, TrainingSpec spec, ScratchShape shape, List<String> labels,
      long seed, int imageSize) {
    if (base == BaseModel.SCRATCH_CNN) {
      spec.validateFor(base, labels.size());
      CpuTuning.enableHelpers();
      return ScratchCnn.build(spec, shape, labels, seed, imageSize);
    }
    return classifierOn(optimizedBase(base, imageSize), base, spec, labels, seed);
  }

  /** A frozen {@code frozenBase} (as-imported or optimized) with a new softmax head. */
  public static ComputationGraph classifierOn(ComputationGraph frozenBase, BaseModel base, List<String> labels,
      double learningRate, long seed) {
    return classifierOn(frozenBase, base, HeadSpec.SOFTMAX, labels, learningRate, seed);
  }

  /** A frozen {@code frozenBase} with the head {@code head} (inner dense layer and dropout optional), Adam. */
  public static ComputationGraph classifierOn(ComputationGraph frozenBase, BaseModel base, HeadSpec head,
      List<String> labels, double learningRate, long seed) {
    return classifierOn(frozenBase, base, TrainingSpec.adam(head, learningRate), labels, seed);
  }

  /**
   * A classifier on {@code base} (as-imported or optimized, see {@link #optimizedBase}): the base frozen up
   * to {@link TrainingSpec#frozenUpTo}, its top {@code spec.trainableBlocks()} blocks trained at
   * {@code spec.baseLearningRate()}, and the head of {@code spec} at {@code spec.learningRate()}.
   */
  public static ComputationGraph classifierOn(ComputationGraph frozenBase, BaseModel base, TrainingSpec spec,
      List<String> labels, long seed) {
    spec.validateFor(base, labels.size());
    HeadSpec head = spec.head();
    TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(frozenBase)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(spec.updater(spec.baseLearningRate()))
            .seed(seed).build())
        .setFeatureExtractor(spec.frozenUpTo(base));
    String input = base.featureVertex();
    int nIn = base.featureSize();
    if (head.innerSize() > 0) {
      b.addLayer(INNER, new DenseLayer.Builder().nIn(nIn).nOut(head.innerSize()).activation(Activation.RELU)
          .weightInit(WeightInit.RELU).updater(spec.updater(spec.learningRate())).build(), input);
      input = INNER;
      nIn = head.innerSize();
    }
    OutputLayer.Builder out = new OutputLayer.Builder(loss(spec, labels.size())).nIn(nIn).nOut(labels.size()).activation(Activation.SOFTMAX)
        .weightInit(WeightInit.XAVIER).updater(spec.updater(spec.learningRate()));
    if (head.dropout() > 0) {
      out.dropOut(1 - head.dropout()); // DL4J takes the probability of keeping an input
    }
    ComputationGraph classifier = b.addLayer(HEAD, out.build(), input).setOutputs(HEAD).build();
    // TransferLearning copies parameters as one flat vector, which scrambles depthwise-convolution
    // weights set through their 'c'-ordered views (seen on the optimized graph). Copy them by name.
    for (Layer layer : frozenBase.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      layer.paramTable().forEach((key, value) -> classifier.getLayer(name).getParam(key).assign(value));
    }
    return classifier;
  }

  /**
   * Cross-entropy over {@code classes} outputs, weighted per class when {@code spec} says so; the distillation loss when
   * it distils.
   */
  static ILossFunction loss(TrainingSpec spec, int classes) {
    if (spec.distillation() != null) {
      return new DistillationLoss(spec.distillation().temperature(), spec.distillation().weight());
    }
    return spec.classWeights().isEmpty() ? new LossMCXENT()
        : new LossMCXENT(Nd4j.createFromArray(spec.classWeights().stream().mapToDouble(Double::doubleValue).toArray())
            .castTo(DataType.FLOAT).reshape(1, classes));
  }

  /**
   * Sets the learning rates of the trainable layers in place, without rebuilding the updater (its state
   * is kept): {@code headRate} for the head layers, {@code baseRate} for fine-tuned base layers. Frozen
   * layers are left alone. Call between {@code fit} calls only (not thread-safe).
   */
  public static void setLearningRates(ComputationGraph graph, double headRate, double baseRate) {
    for (Layer layer : graph.getLayers()) {
      if (layer instanceof FrozenLayer || layer.numParams() == 0) {
        continue;
      }
      if (layer.conf().getLayer() instanceof BaseLayer bl && bl.getIUpdater() != null) {
        String name = bl.getLayerName();
        boolean head = HEAD.equals(name) || INNER.equals(name) || name.startsWith(ScratchCnn.PREFIX);
        bl.getIUpdater().setLrAndSchedule(head ? headRate : baseRate, null);
      }
    }
  }

  /** Names of the layers {@code fit} updates (not frozen, with parameters), in graph order. */
  public static List<String> trainableLayers(ComputationGraph graph) {
    List<String> names = new ArrayList<>();
    for (Layer layer : graph.getLayers()) {
      if (!(layer instanceof FrozenLayer) && layer.numParams() > 0) {
        names.add(layer.conf().getLayer().getLayerName());
      }
    }
    return names;
  }

  /** Serialises {@code graph}; with {@code withUpdater} the optimizer state too (for checkpoints). */
  public static byte[] toBytes(ComputationGraph graph, boolean withUpdater) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024 * 1024);
    try {
      ModelSerializer.writeModel(graph, out, withUpdater);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialise model", e);
    }
    return out.toByteArray();
  }

  /** Restores a graph written by {@link #toBytes}. */
  public static ComputationGraph fromBytes(byte[] bytes, boolean withUpdater) throws IOException {
    CpuTuning.enableHelpers();
    return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes), withUpdater);
  }
}
