package dev.streamfit.ingest.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.HttpFront;
import dev.streamfit.http.Json;
import dev.streamfit.http.Multipart;
import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import dev.streamfit.http.Router;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.IngestServer;
import dev.streamfit.ingest.IngestSources;
import dev.streamfit.schemas.Labels;
import dev.streamfit.schemas.Split;
import java.io.IOException;
import java.util.Locale;
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
          config.maxImageBytes(), "ingest.max-image-bytes", "--max-image-bytes", WORKERS),
          new Router("").route("POST", "/v1/images", http::handle), null);
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

  private Response handle(Request r) {
    String label = r.query("label");
    String splitParam = r.query("split");
    Split split;
    try {
      split = splitParam == null ? (label == null ? Split.UNLABELED : Split.TRAIN)
          : IngestSources.parseSplit(splitParam, "query parameter split");
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(e.getMessage());
    }
    if (split == Split.UNLABELED) {
      label = null;
    } else if (label == null || label.isBlank()) {
      throw HttpError.badRequest("split=" + splitParam + " needs a label (?label=…)");
    }
    byte[] body = Multipart.oneFile(r, "");
    String source = "http:" + r.remote().getAddress().getHostAddress();
    Publisher.Outcome o = publisher.publish(body, source, split, label);
    publisher.commit();
    String splitName = o.split().name().toLowerCase(Locale.ROOT);
    return switch (o.status()) {
      case PUBLISHED -> Json.reply(201, new Answer("published", o.id(), splitName, o.label()));
      case DUPLICATE -> Json.reply(200, new Answer("duplicate", o.id(), splitName, o.label()));
      default -> throw HttpError.refused(o.reason(), o.message());
    };
  }

  /** The JSON answer to a published (or already published) image. */
  record Answer(String status, String id, String split, String label) {}

  @Override
  public void close() {
    if (front != null) {
      front.close();
    }
    publisher.close();
  }
}
