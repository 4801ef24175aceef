package dev.streamfit.serving.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.Json;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import java.util.Base64;

/**
 * The noun {@code feedback}: {@code POST /v1/feedback} with JSON {@code {"predictionId" | "imageId", "label",
 * "image"?}} (image: base64, only when serving no longer keeps it). 202 with what was recorded and what became of
 * the corrected image; refusals are the {@link FeedbackDesk}'s. Thread-safe.
 */
final class FeedbackResource {
  /** The request body. */
  record Body(String predictionId, String imageId, String label, String image) {}

  /** The answer: the prediction the feedback counted on and the corrected image's fate. */
  record Accepted(String status, String predictionId, String imageId, String model, long modelVersion,
      String rollout, String predicted, String label, boolean correct, String correction) {}

  private static final String SHAPE = "{\"predictionId\": \"…\" | \"imageId\": \"<sha256 hex>\", \"label\": \"…\","
      + " \"image\": \"<base64, optional>\"}";
  private final FeedbackLoop loop;

  FeedbackResource(FeedbackLoop loop) {
    this.loop = loop;
  }

  Response post(Request r) throws Exception {
    Body b = Json.read(r, Body.class, SHAPE);
    byte[] image = null;
    if (b.image() != null) {
      try {
        image = Base64.getDecoder().decode(b.image());
      } catch (IllegalArgumentException e) {
        throw HttpError.badRequest("field image is not base64: " + e.getMessage());
      }
    }
    String client = r.remote() == null ? "unknown" : r.remote().getAddress().getHostAddress();
    FeedbackLoop.Outcome o = loop.accept(b.predictionId(), b.imageId(), b.label(), image, "http:" + client);
    FeedbackDesk.Accepted a = o.accepted();
    return Json.reply(202, new Accepted("accepted", a.predictionId(), a.imageId(), a.model(), a.version(), a.arm(),
        a.predicted(), a.trueLabel(), a.correct(), o.correction()));
  }
}
