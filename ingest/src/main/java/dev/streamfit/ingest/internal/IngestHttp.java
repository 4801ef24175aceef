package dev.streamfit.ingest.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.http.HttpFront;
import dev.streamfit.http.Multipart;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestServer;
import dev.streamfit.ingest.IngestSources;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.Split;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/images?label=…&split=…}: one image per request (raw body or multipart with one file),
 * published and committed before the answer, on the stages' {@link HttpFront} (read deadlines, header and body
 * caps, a byte budget). JSON answers: 201 published, 200 already published, 400 bad parameters or a label that
 * breaks {@link Labels#RULE}, 405, 408, 413/415/422 refused with the reason code and message (the refusal is also
 * on {@code images.rejected}), 429 too many bytes in flight. Thread-safe.
 */
public final class IngestHttp implements IngestServer {
  private static final Logger LOG = LoggerFactory.getLogger(IngestHttp.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Requests handled at once (each publishes and commits before it answers). */
  static final int WORKERS = 4;
  private final Publisher publisher;
  private HttpFront front;

  private IngestHttp(Publisher publisher) {
    this.publisher = publisher;
  }

  /** Listens on {@code host}:{@code port}; owns {@code publisher} from now on. */
  public static IngestHttp start(IngestConfig config, Publisher publisher, String host, int port) throws IOException {
    IngestHttp http = new IngestHttp(publisher);
    try {
      http.front = HttpFront.start(new HttpFront.Spec("streamfit-ingest", host, port, config.http(),
          config.maxImageBytes(), "ingest.max-image-bytes", "--max-image-bytes", WORKERS), http::handle, null);
    } catch (IOException e) {
      publisher.close();
      throw e;
    }
    LOG.info("ingest over HTTP at http://{}:{}/v1/images", host, http.port());
    return http;
  }

  @Override
  public int port() {
    return front.port();
  }

  private Response handle(Request r) throws IOException {
    if (!r.path().equals("/v1/images")) {
      return error(404, "not_found", "no such endpoint: " + r.path());
    }
    if (!r.method().equals("POST")) {
      return error(405, "method_not_allowed", r.method() + " not allowed; use POST").with("Allow", "POST");
    }
    String label = r.query("label");
    String splitParam = r.query("split");
    Split split;
    try {
      split = splitParam == null ? (label == null ? Split.UNLABELED : Split.TRAIN)
          : IngestSources.parseSplit(splitParam, "query parameter split");
    } catch (IllegalArgumentException e) {
      return error(400, "bad_request", e.getMessage());
    }
    if (split == Split.UNLABELED) {
      label = null;
    } else if (label == null || label.isBlank()) {
      return error(400, "bad_request", "split=" + splitParam + " needs a label (?label=…)");
    }
    byte[] body = r.body();
    try {
      String boundary = Multipart.boundary(r.header("Content-Type"));
      if (boundary != null) {
        List<Multipart.Part> files = Multipart.parse(body, boundary).stream()
            .filter(p -> p.filename() != null || "file".equals(p.name())).toList();
        if (files.size() != 1) {
          return error(400, "bad_request", "multipart body must carry exactly one file, carried " + files.size());
        }
        body = files.get(0).content();
      }
    } catch (IllegalArgumentException e) {
      return error(400, "bad_request", "malformed multipart/form-data body: " + e.getMessage());
    }
    String source = "http:" + r.remote().getAddress().getHostAddress();
    Publisher.Outcome o = publisher.publish(body, source, split, label, "application/octet-stream");
    publisher.commit();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", o.id());
    answer.put("split", o.split().name().toLowerCase(Locale.ROOT));
    answer.put("label", o.label());
    return switch (o.status()) {
      case PUBLISHED -> reply(201, status("published", answer));
      case DUPLICATE -> reply(200, status("duplicate", answer));
      default -> error(o.reason().httpStatus(), o.reason().code(), o.message());
    };
  }

  private static Map<String, Object> status(String status, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", status);
    m.putAll(fields);
    return m;
  }

  private static Response error(int status, String code, String message) {
    return Response.error(status, code, message);
  }

  private static Response reply(int status, Object body) throws IOException {
    return Response.json(status, JSON.writeValueAsBytes(body));
  }

  @Override
  public void close() {
    if (front != null) {
      front.close();
    }
    publisher.close();
  }
}
