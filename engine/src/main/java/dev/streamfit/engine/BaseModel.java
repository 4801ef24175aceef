package dev.streamfit.engine;

/**
 * Pretrained feature extractors bundled with streamfit (Keras h5, DL4J-importable). Inputs are RGB
 * scaled to [-1, 1]; NHWC as imported, NCHW once optimized ({@link Models#optimizedBase}).
 */
public enum BaseModel {
  /** MobileNetV2 width 0.35, ImageNet weights, no top: 1280-d global-average-pooled features. */
  MOBILENET_V2_035("mobilenetv2-0.35", "bases/mobilenetv2_0.35_224_imagenet_notop_dl4j.h5",
      "global_average_pooling2d", 1280, 224),
  /**
   * MobileNet v1 width 0.75, ImageNet weights; its 1000-class top is cut off at the global average
   * pooling: 768-d features.
   */
  MOBILENET_V1_075("mobilenet-v1-0.75", "bases/mobilenet_v1_0.75_224_imagenet_dl4j.h5",
      "global_average_pooling2d_1", 768, 224);

  private final String id;
  private final String resource;
  private final String featureVertex;
  private final int featureSize;
  private final int nativeSize;

  BaseModel(String id, String resource, String featureVertex, int featureSize, int nativeSize) {
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

  /** Length of the feature vector. */
  public int featureSize() {
    return featureSize;
  }

  /** Input side the weights were trained at, pixels. */
  public int nativeSize() {
    return nativeSize;
  }

  /** Parses an id as given by {@link #id()}; the error lists the valid ids. */
  public static BaseModel fromId(String id) {
    for (BaseModel b : values()) {
      if (b.id.equals(id)) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown base model '" + id + "'; known: "
        + java.util.Arrays.stream(values()).map(BaseModel::id).toList());
  }
}
