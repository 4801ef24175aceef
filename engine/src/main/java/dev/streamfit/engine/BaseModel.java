package dev.streamfit.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Feature extractors: pretrained ones bundled with streamfit (Keras h5, DL4J-importable), and a small network
 * trained from scratch. Inputs are RGB scaled to [-1, 1]; NHWC as imported, NCHW once optimized
 * ({@link Models#optimizedBase}) and for the scratch network.
 */
public enum BaseModel {
  /** MobileNetV2 width 0.35, ImageNet weights, no top: 1280-d global-average-pooled features. */
  MOBILENET_V2_035("mobilenetv2-0.35", "bases/mobilenetv2_0.35_224_imagenet_notop_dl4j.h5",
      "global_average_pooling2d", 1280, 224, List.of("expanded_conv_project", "block_1_project",
          "block_2_add", "block_3_project", "block_4_add", "block_5_add", "block_6_project", "block_7_add",
          "block_8_add", "block_9_add", "block_10_project", "block_11_add", "block_12_add", "block_13_project",
          "block_14_add", "block_15_add", "block_16_project", "Conv_1")),
  /**
   * MobileNet v1 width 0.75, ImageNet weights; its 1000-class top is cut off at the global average
   * pooling: 768-d features.
   */
  MOBILENET_V1_075("mobilenet-v1-0.75", "bases/mobilenet_v1_0.75_224_imagenet_dl4j.h5",
      "global_average_pooling2d_1", 768, 224, List.of("conv1", "conv_pw_1", "conv_pw_2", "conv_pw_3",
          "conv_pw_4", "conv_pw_5", "conv_pw_6", "conv_pw_7", "conv_pw_8", "conv_pw_9", "conv_pw_10", "conv_pw_11",
          "conv_pw_12", "conv_pw_13")),
  /**
   * No pretrained weights: a small conv net with batch normalization trained from scratch (by default 3 blocks of
   * 16, 32, 64 filters, global average pooling: 64-d features; see {@link ScratchShape}), for small images where an
   * ImageNet base at 224 px is wasteful. Every layer trains; {@code --fine-tune-blocks} does not apply.
   */
  SCRATCH_CNN("scratch-cnn", null, ScratchCnn.FEATURES, ScratchShape.DEFAULT.featureSize(), 0, List.of());

  private final String id;
  private final String resource;
  private final String featureVertex;
  private final int featureSize;
  private final int nativeSize;
  private final List<String> blockEnds;

  BaseModel(String id, String resource, String featureVertex, int featureSize, int nativeSize,
      List<String> blockEnds) {
    this.blockEnds = blockEnds;
    this.id = id;
    this.resource = resource;
    this.featureVertex = featureVertex;
    this.featureSize = featureSize;
    this.nativeSize = nativeSize;
  }

  /** Stable id used in configs and provenance, e.g. {@code mobilenetv2-0.35}. */
  public String id() {
    return id;
  }

  String resource() {
    return resource;
  }

  /** Name of the graph vertex whose output is the feature vector. */
  public String featureVertex() {
    return featureVertex;
  }

  /** Length of the feature vector (for {@link #SCRATCH_CNN}, of its default {@link ScratchShape}). */
  public int featureSize() {
    return featureSize;
  }

  /** Input side the weights were trained at, pixels (0 when not pretrained). */
  public int nativeSize() {
    return nativeSize;
  }

  /**
   * Vertex names (same in the imported and the optimized graph) whose outputs end each block, input side
   * first: the stem, the (inverted-)residual or depthwise-separable blocks, and for MobileNetV2 the final
   * 1x1 convolution. Fine-tuning the top K blocks trains every layer after {@code blockEnds().get(size - 1 - K)}.
   */
  public List<String> blockEnds() {
    return blockEnds;
  }

  /** Most blocks that can be fine-tuned: all but the stem (0 for a network trained from scratch). */
  public int maxTrainableBlocks() {
    return Math.max(0, blockEnds.size() - 1);
  }

  /** Whether this base comes with pretrained weights (false: trained from scratch). */
  public boolean pretrained() {
    return resource != null;
  }

  /** Parses an id as given by {@link #id()}; the error lists the valid ids. */
  public static BaseModel fromId(String id) {
    for (BaseModel b : values()) {
      if (b.id.equals(id)) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown base model '" + id + "'; known: "
        + Arrays.stream(values()).map(BaseModel::id).toList());
  }
}
