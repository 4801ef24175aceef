package dev.streamfit.serving.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamfit.http.HttpError;
import dev.streamfit.http.Json;
import dev.streamfit.imaging.Pixels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An Open Inference Protocol inference request ({@code $inference_request}) read as the images it carries: one
 * input, either {@code BYTES} of shape {@code [N]} (each element an encoded image, base64 in JSON) or {@code UINT8}
 * of shape {@code [N, H, W, 3]} (RGB pixels, row-major, flat or nested), which is encoded here as lossless PNG so
 * that both reach the model through the same decoder. Also the request's {@code id} and the outputs asked for.
 * Anything else is a 400 naming the field. Immutable.
 *
 * @param id the request's id, echoed in the response (may be null)
 * @param images the encoded images, in batch order
 * @param outputs the output names asked for; empty means all
 */
record InferRequest(String id, List<byte[]> images, Set<String> outputs) {
  /** The outputs this server produces. */
  static final List<String> OUTPUTS = List.of(InferenceProtocol.PROBABILITIES, InferenceProtocol.LABEL,
      InferenceProtocol.PREDICTION_ID);

  /** Reads {@code body}; at most {@code most} images. */
  static InferRequest parse(byte[] body, int most) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw bad("body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) {
      throw bad("body must be a JSON inference request object {\"inputs\": [...]}");
    }
    JsonNode idNode = root.get("id");
    if (idNode != null && !idNode.isTextual()) {
      throw bad("id must be a string");
    }
    JsonNode inputs = root.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
      throw bad("inputs must hold exactly one input: BYTES [N] (encoded images, base64) or UINT8 [N,H,W,3] (RGB)");
    }
    List<byte[]> images = images(inputs.get(0), most);
    Set<String> outputs = new LinkedHashSet<>();
    JsonNode asked = root.get("outputs");
    if (asked != null) {
      if (!asked.isArray()) {
        throw bad("outputs must be an array of {\"name\": …}");
      }
      for (JsonNode o : asked) {
        String name = o.path("name").asText(null);
        if (!OUTPUTS.contains(name)) {
          throw bad("unknown output '" + name + "'; this model's outputs are " + OUTPUTS);
        }
        outputs.add(name);
      }
    }
    return new InferRequest(idNode == null ? null : idNode.asText(), images, outputs);
  }

  private static List<byte[]> images(JsonNode in, int most) {
    String name = in.path("name").asText("");
    String datatype = in.path("datatype").asText(null);
    long[] shape = shape(in.get("shape"), name);
    JsonNode data = in.get("data");
    if (datatype == null) {
      throw bad("input '" + name + "' has no datatype");
    }
    if (data == null || !data.isArray()) {
      throw bad("input '" + name + "' has no data array");
    }
    List<JsonNode> flat = new ArrayList<>();
    flatten(data, flat);
    if (shape.length == 0 || shape[0] < 1 || shape[0] > most) {
      throw bad("input '" + name + "': the batch dimension (shape[0]) must be 1 to " + most);
    }
    int n = (int) shape[0];
    return switch (datatype) {
      case "BYTES" -> {
        if (shape.length != 1 || flat.size() != n) {
          throw bad("input '" + name + "': BYTES images have shape [N] and N elements; shape " + str(shape) + ", "
              + flat.size() + " elements");
        }
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (!flat.get(i).isTextual()) {
            throw bad("input '" + name + "' element " + i + " is not a string (an encoded image in base64)");
          }
          try {
            out.add(Base64.getDecoder().decode(flat.get(i).asText()));
          } catch (IllegalArgumentException e) {
            throw bad("input '" + name + "' element " + i + " is not base64: " + e.getMessage());
          }
        }
        yield out;
      }
      case "UINT8" -> pixels(name, shape, flat);
      default -> throw bad("input '" + name + "': datatype " + datatype + " is not taken; BYTES [N] (encoded images)"
          + " or UINT8 [N,H,W,3] (RGB pixels)");
    };
  }

  private static List<byte[]> pixels(String name, long[] shape, List<JsonNode> flat) {
    if (shape.length != 4 || shape[3] != 3 || shape[1] < 1 || shape[2] < 1 || shape[1] > 16384 || shape[2] > 16384) {
      throw bad("input '" + name + "': UINT8 pixels have shape [N,H,W,3] with 1 <= H, W <= 16384; shape " + str(shape));
    }
    int n = (int) shape[0];
    int h = (int) shape[1];
    int w = (int) shape[2];
    long each = (long) h * w * 3;
    if (flat.size() != n * each) {
      throw bad("input '" + name + "': shape " + str(shape) + " needs " + n * each + " elements, data has " + flat.size());
    }
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] hwc = new byte[(int) each];
      for (int j = 0; j < each; j++) {
        JsonNode v = flat.get((int) (i * each + j));
        if (!v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 255) {
          throw bad("input '" + name + "' element " + (i * each + j) + " is not a UINT8 (0 to 255): " + v);
        }
        hwc[j] = (byte) v.asInt();
      }
      try (Mat rgb = Pixels.fromHwc(hwc, h, w)) {
        out.add(Pixels.encodePng(rgb));
      }
    }
    return out;
  }

  private static long[] shape(JsonNode s, String name) {
    if (s == null || !s.isArray()) {
      throw bad("input '" + name + "' has no shape array");
    }
    long[] out = new long[s.size()];
    for (int i = 0; i < out.length; i++) {
      if (!s.get(i).isIntegralNumber() || s.get(i).asLong() < 0) {
        throw bad("input '" + name + "': shape[" + i + "] is not a non-negative integer");
      }
      out[i] = s.get(i).asLong();
    }
    return out;
  }

  /** Row-major elements of nested arrays. */
  private static void flatten(JsonNode node, List<JsonNode> out) {
    if (node.isArray()) {
      node.forEach(e -> flatten(e, out));
    } else {
      out.add(node);
    }
  }

  private static String str(long[] shape) {
    return Arrays.toString(shape);
  }

  private static HttpError bad(String message) {
    return HttpError.badRequest(message);
  }
}
