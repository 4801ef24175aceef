package dev.streamfit.engine;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;

/**
 * A small convolutional network trained from scratch ({@link BaseModel#SCRATCH_CNN}): {@link ScratchShape} blocks of
 * 3x3 convolution (no bias) → batch normalization → ReLU → 2x2 max pooling, filters doubling per block (by default
 * 3 blocks of 16, 32, 64), global average pooling, then the same head as the transfer classifiers (optional inner dense layer,
 * dropout, softmax). He (ReLU) initialization for the convolutions, Xavier for the output. NCHW input at any side
 * of at least 2^blocks px; every layer trains at the head's learning rate.
 */
final class ScratchCnn {
  /** Prefix of the body's layer names (trained at the head's rate, see {@link Models#setLearningRates}). */
  static final String PREFIX = "scratch_";
  /** The vertex whose output is the feature vector. */
  static final String FEATURES = PREFIX + "gap";

  private ScratchCnn() {}

  static ComputationGraph build(TrainingSpec spec, ScratchShape shape, List<String> labels, long seed, int imageSize) {
    shape.validateFor(imageSize);
    ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
        .updater(spec.updater(spec.learningRate())).graphBuilder().addInputs("input")
        .setInputTypes(InputType.convolutional(imageSize, imageSize, 3));
    String prev = "input";
    for (int i = 0, filters = shape.width(); i < shape.blocks(); i++, filters *= 2) {
      g.addLayer(PREFIX + "conv" + i, new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(filters).hasBias(false)
          .activation(Activation.IDENTITY).weightInit(WeightInit.RELU).build(), prev);
      g.addLayer(PREFIX + "bn" + i, new BatchNormalization.Builder().build(), PREFIX + "conv" + i);
      g.addLayer(PREFIX + "relu" + i, new ActivationLayer.Builder().activation(Activation.RELU).build(), PREFIX + "bn" + i);
      g.addLayer(PREFIX + "pool" + i, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(),
          PREFIX + "relu" + i);
      prev = PREFIX + "pool" + i;
    }
    g.addLayer(FEATURES, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev);
    String input = FEATURES;
    int nIn = shape.featureSize();
    HeadSpec head = spec.head();
    if (head.innerSize() > 0) {
      g.addLayer(Models.INNER, new DenseLayer.Builder().nIn(nIn).nOut(head.innerSize()).activation(Activation.RELU)
          .weightInit(WeightInit.RELU).build(), input);
      input = Models.INNER;
      nIn = head.innerSize();
    }
    OutputLayer.Builder out = new OutputLayer.Builder(Models.loss(spec, labels.size())).nIn(nIn).nOut(labels.size())
        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER);
    if (head.dropout() > 0) {
      out.dropOut(1 - head.dropout()); // DL4J takes the probability of keeping an input
    }
    g.addLayer(Models.HEAD, out.build(), input).setOutputs(Models.HEAD);
    ComputationGraph graph = new ComputationGraph(g.build());
    graph.init();
    return graph;
  }
}
