package dev.streamfit.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;

/**
 * JSON bodies the same way on every server: records out ({@link #reply}), records in ({@link #read}) with a 400
 * that says what is wrong. Stateless and thread-safe.
 */
public final class Json {
  /** The shared mapper (records, no unknown properties in requests). */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

  private Json() {}

  /** {@code body} as JSON with {@code status}. */
  public static Response reply(int status, Object body) {
    try {
      return Response.json(status, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** The request body as {@code type}; 400 {@code bad_request} naming the problem when it is not one. */
  public static <T> T read(Request r, Class<T> type, String shape) {
    if (r.body().length == 0) {
      throw HttpError.badRequest("body must be JSON " + shape);
    }
    try {
      T t = MAPPER.readValue(r.body(), type);
      if (t == null) {
        throw HttpError.badRequest("body must be JSON " + shape);
      }
      return t;
    } catch (UnrecognizedPropertyException e) {
      throw HttpError.badRequest("unknown field '" + e.getPropertyName() + "'; body must be JSON " + shape);
    } catch (MismatchedInputException e) {
      String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
      throw HttpError.badRequest((field == null ? "" : "field '" + field + "' is missing or has the wrong type; ")
          + "body must be JSON " + shape);
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("body is not JSON (" + e.getOriginalMessage() + "); must be " + shape);
    } catch (IOException e) {
      throw HttpError.badRequest("body is not JSON; must be " + shape);
    }
  }
}
