package dev.streamfit.engine.internal;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Rewrites a Keras-imported CNN feature extractor into an equivalent graph that DL4J runs fast on CPU,
 * for inference of frozen layers:
 *
 * <ul>
 *   <li>NCHW layout everywhere (the importer keeps Keras' NHWC, which oneDNN runs through reorders);
 *   <li>BatchNormalization folded into the preceding convolution / depthwise convolution
 *       ({@code W' = W·γ/√(σ²+ε)}, {@code b' = β − μ·γ/√(σ²+ε)});
 *   <li>the activation that follows fused into that convolution, and {@code ReLU(max=6)} as ReLU6;
 *   <li>{@code ZeroPadding(0,1,0,1)} + VALID stride-2 convolution expressed as one SAME convolution
 *       where that is exactly equivalent (even input side, odd kernel), as TensorFlow's SAME pads;
 *       elsewhere (odd sides, e.g. 299) the padding stays an explicit NCHW layer.
 * </ul>
 *
 * <p>Supported vertices: input, ZeroPadding, Convolution, DepthwiseConvolution2D, BatchNormalization,
 * Activation (identity/ReLU/ReLU6), ElementWise, GlobalPooling — all that MobileNet v1/v2 use. Anything
 * else fails fast with the vertex name. The result has no trainable state (updater NoOp); it is meant to
 * be frozen under a trainable head.
 */
public final class InferenceGraphOptimizer {
  private InferenceGraphOptimizer() {}

  /** Pending convolution: config plus (possibly folded) weights, not yet added to the builder. */
  private static final class Conv {
    final String name;
    final ConvolutionLayer conf;
    final String input;
    ConvolutionMode mode;
    INDArray w;
    INDArray b;
    IActivation activation = new ActivationIdentity();

    Conv(String name, ConvolutionLayer conf, String input, INDArray w, INDArray b) {
      this.name = name;
      this.conf = conf;
      this.input = input;
      this.mode = conf.getConvolutionMode();
      this.w = w;
      this.b = b;
    }

    boolean depthwise() {
      return conf instanceof DepthwiseConvolution2D;
    }
  }

  /**
   * Returns the optimized graph computing {@code source}'s output at vertex {@code output} for RGB
   * inputs of {@code height}x{@code width}, taking NCHW input {@code [n, 3, height, width]}.
   */
  public static ComputationGraph optimize(ComputationGraph source, String output, int height, int width) {
    ComputationGraphConfiguration conf = source.getConfiguration();
    if (conf.getNetworkInputs().size() != 1) {
      throw new IllegalArgumentException("expected one input, got " + conf.getNetworkInputs());
    }
    String inputName = conf.getNetworkInputs().get(0);
    Map<String, InputType> types = conf.getLayerActivationTypes(
        InputType.convolutional(height, width, 3, CNN2DFormat.NHWC));
    Map<String, GraphVertex> vertices = conf.getVertices();
    Map<String, List<String>> inputsOf = conf.getVertexInputs();
    Map<String, Integer> consumers = new HashMap<>();
    inputsOf.values().forEach(ins -> ins.forEach(i -> consumers.merge(i, 1, Integer::sum)));

    // alias: old vertex name -> name of the new vertex (or pending conv) producing the same tensor.
    Map<String, String> alias = new HashMap<>();
    alias.put(inputName, "input");
    Map<String, Conv> pending = new LinkedHashMap<>();
    Map<String, String> padded = new HashMap<>(); // zero-padding vertex -> its (aliased) input
    ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
        .updater(new NoOp()).dataType(DataType.FLOAT).graphBuilder()
        .addInputs("input").setInputTypes(InputType.convolutional(height, width, 3, CNN2DFormat.NCHW));
    Map<String, INDArray[]> params = new LinkedHashMap<>();

    for (String name : conf.getTopologicalOrderStr()) {
      if (name.equals(inputName)) {
        continue;
      }
      GraphVertex v = vertices.get(name);
      List<String> in = inputsOf.get(name);
      if (v instanceof LayerVertex lv) {
        Layer l = lv.getLayerConf().getLayer();
        String src = in.get(0);
        if (l instanceof ZeroPaddingLayer zp) {
          int[] p = zp.getPadding();
          InputType.InputTypeConvolutional t = (InputType.InputTypeConvolutional) types.get(src);
          boolean sameEquivalent = p[0] == 0 && p[1] == 1 && p[2] == 0 && p[3] == 1
              && t.getHeight() % 2 == 0 && t.getWidth() % 2 == 0;
          String from = resolve(alias, pending, src, g, params);
          if (sameEquivalent) {
            padded.put(name, from); // folded into the following stride-2 convolution as SAME
          } else {
            g.addLayer(name, new ZeroPaddingLayer.Builder(p).dataFormat(CNN2DFormat.NCHW).build(), from);
          }
          alias.put(name, name);
        } else if (l instanceof ConvolutionLayer c) {
          INDArray w = source.getLayer(name).getParam("W").dup();
          INDArray b = c.hasBias() ? source.getLayer(name).getParam("b").dup() : null;
          String from;
          Conv pc;
          if (padded.containsKey(src)) {
            boolean oddKernel = c.getKernelSize()[0] % 2 == 1 && c.getKernelSize()[1] % 2 == 1;
            if (c.getConvolutionMode() != ConvolutionMode.Truncate || c.getStride()[0] != 2 || c.getStride()[1] != 2
                || !oddKernel) {
              throw new IllegalArgumentException("zero padding before " + name + " is not a SAME stride-2 pattern");
            }
            from = padded.get(src);
            pc = new Conv(name, c, from, w, b);
            pc.mode = ConvolutionMode.Same;
          } else {
            from = resolve(alias, pending, src, g, params);
            pc = new Conv(name, c, from, w, b);
            if (c.getKernelSize()[0] == 1 && c.getKernelSize()[1] == 1 && c.getStride()[0] == 1 && c.getStride()[1] == 1) {
              pc.mode = ConvolutionMode.Same; // identical for 1x1 stride 1
            }
          }
          pc.activation = c.getActivationFn();
          pending.put(name, pc);
          alias.put(name, name);
        } else if (l instanceof BatchNormalization bn) {
          Conv pc = pending.get(alias.get(src));
          boolean foldable = pc != null && consumers.getOrDefault(src, 0) == 1 && !bn.isUseLogStd()
              && pc.activation instanceof ActivationIdentity;
          if (!foldable) {
            throw new IllegalArgumentException("batch norm " + name + " does not follow a single-use convolution");
          }
          fold(pc, source.getLayer(name).getParam("gamma"), source.getLayer(name).getParam("beta"),
              source.getLayer(name).getParam("mean"), source.getLayer(name).getParam("var"), bn.getEps());
          alias.put(name, pc.name);
        } else if (l instanceof ActivationLayer act) {
          IActivation fn = fast(act.getActivationFn(), name);
          Conv pc = pending.get(alias.get(src));
          if (pc != null && consumers.getOrDefault(src, 0) == 1 && pc.activation instanceof ActivationIdentity) {
            pc.activation = fn;
            alias.put(name, pc.name);
          } else {
            String from = resolve(alias, pending, src, g, params);
            g.addLayer(name, new ActivationLayer.Builder().activation(fn).build(), from);
            alias.put(name, name);
          }
        } else if (l instanceof GlobalPoolingLayer gp) {
          String from = resolve(alias, pending, src, g, params);
          g.addLayer(name, new GlobalPoolingLayer.Builder(gp.getPoolingType()).collapseDimensions(gp.isCollapseDimensions())
              .build(), from);
          alias.put(name, name);
        } else {
          throw new IllegalArgumentException("cannot optimize layer " + name + " (" + l.getClass().getSimpleName() + ")");
        }
      } else if (v instanceof ElementWiseVertex ew) {
        String[] from = in.stream().map(i -> resolve(alias, pending, i, g, params)).toArray(String[]::new);
        g.addVertex(name, new ElementWiseVertex(ew.getOp()), from);
        alias.put(name, name);
      } else {
        throw new IllegalArgumentException("cannot optimize vertex " + name + " (" + v.getClass().getSimpleName() + ")");
      }
      if (name.equals(output)) {
        break;
      }
    }
    String out = resolve(alias, pending, output, g, params);
    g.setOutputs(out);
    ComputationGraph result = new ComputationGraph(g.build());
    result.init();
    params.forEach((layer, wb) -> {
      result.getLayer(layer).setParam("W", wb[0].castTo(DataType.FLOAT));
      result.getLayer(layer).setParam("b", wb[1].castTo(DataType.FLOAT).reshape(result.getLayer(layer).getParam("b").shape()));
    });
    return result;
  }

  /** The new-graph name of {@code old}'s tensor, emitting its pending convolution first. */
  private static String resolve(Map<String, String> alias, Map<String, Conv> pending, String old,
      ComputationGraphConfiguration.GraphBuilder g, Map<String, INDArray[]> params) {
    String a = alias.get(old);
    if (a == null) {
      throw new IllegalStateException("vertex " + old + " has no optimized counterpart");
    }
    Conv pc = pending.remove(a);
    if (pc != null) {
      ConvolutionLayer c = pc.conf;
      ConvolutionLayer.BaseConvBuilder<?> b;
      if (pc.depthwise()) {
        DepthwiseConvolution2D d = (DepthwiseConvolution2D) c;
        b = new DepthwiseConvolution2D.Builder(c.getKernelSize(), c.getStride()).depthMultiplier(d.getDepthMultiplier())
            .nIn(c.getNIn()).nOut(c.getNOut()).dataFormat(CNN2DFormat.NCHW);
      } else {
        b = new ConvolutionLayer.Builder(c.getKernelSize(), c.getStride()).nIn(c.getNIn()).nOut(c.getNOut())
            .dataFormat(CNN2DFormat.NCHW);
      }
      b.dilation(c.getDilation()).convolutionMode(pc.mode).hasBias(true).activation(pc.activation);
      if (pc.mode != ConvolutionMode.Same) {
        b.padding(c.getPadding());
      }
      g.addLayer(pc.name, b.build(), pc.input);
      INDArray bias = pc.b != null ? pc.b : Nd4j.zeros(DataType.FLOAT, c.getNOut());
      params.put(pc.name, new INDArray[] {pc.w, bias.reshape(c.getNOut())});
    }
    return a;
  }

  /** Folds batch norm into the convolution's weights and bias (computed in double precision). */
  private static void fold(Conv pc, INDArray gamma, INDArray beta, INDArray mean, INDArray var, double eps) {
    INDArray g = gamma.castTo(DataType.DOUBLE).reshape(-1);
    INDArray scale = g.div(Transforms.sqrt(var.castTo(DataType.DOUBLE).reshape(-1).add(eps), true));
    INDArray w = pc.w.castTo(DataType.DOUBLE);
    long nOut = scale.length();
    if (pc.depthwise()) {
      // depthwise W: [kH, kW, nIn, multiplier]; output channel = in * multiplier + m
      w = w.mul(scale.reshape(1, 1, w.size(2), w.size(3)));
    } else {
      // conv W: [nOut, nIn, kH, kW]
      w = w.mul(scale.reshape(nOut, 1, 1, 1));
    }
    INDArray b0 = pc.b != null ? pc.b.castTo(DataType.DOUBLE).reshape(-1) : Nd4j.zeros(DataType.DOUBLE, nOut);
    INDArray b = beta.castTo(DataType.DOUBLE).reshape(-1).add(b0.sub(mean.castTo(DataType.DOUBLE).reshape(-1)).mul(scale));
    pc.w = w;
    pc.b = b;
  }

  private static IActivation fast(IActivation fn, String name) {
    if (fn instanceof ActivationIdentity || fn instanceof ActivationReLU6) {
      return fn;
    }
    if (fn instanceof ActivationReLU r) {
      Double max = r.getMax();
      double threshold = r.getThreshold() == null ? 0 : r.getThreshold();
      boolean noSlope = r.equals(new ActivationReLU(r.getMax(), r.getThreshold(), null))
          || r.equals(new ActivationReLU(r.getMax(), r.getThreshold(), 0.0));
      if (threshold == 0 && noSlope) {
        if (max != null && max == 6.0) {
          return new ActivationReLU6();
        }
        if (max == null || max.isInfinite()) {
          return new ActivationReLU();
        }
      }
    }
    throw new IllegalArgumentException("cannot optimize activation " + fn + " of " + name);
  }
}
