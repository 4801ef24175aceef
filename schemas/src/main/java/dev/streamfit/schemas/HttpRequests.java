package dev.streamfit.schemas;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Helpers shared by the stages' HTTP endpoints (serving, ingest, metrics). Stateless and thread-safe. */
public final class HttpRequests {
  /** Most bytes read and dropped past the cap so the client still sees the 413; beyond it the connection is done. */
  static final long DRAIN_LIMIT = 256L * 1024 * 1024;

  private HttpRequests() {}

  /**
   * A request body read up to a cap.
   *
   * @param bytes the body, or null when it exceeded the cap
   * @param sent bytes the client sent (as far as they were read)
   * @param complete whether the whole body was read, so the connection can be reused
   */
  public record Body(byte[] bytes, long sent, boolean complete) {
    public boolean tooLarge() {
      return bytes == null;
    }
  }

  /**
   * Reads at most {@code max} bytes. A longer body is read on and dropped (up to 256 MiB) before the caller
   * answers 413: a server that closes a connection with unread request bytes makes TCP reset it, and the
   * client never sees the answer.
   */
  public static Body read(InputStream in, int max) throws IOException {
    byte[] body = in.readNBytes(max + 1);
    if (body.length <= max) {
      return new Body(body, body.length, true);
    }
    byte[] buf = new byte[64 * 1024];
    long dropped = 0;
    for (int n; dropped < DRAIN_LIMIT && (n = in.read(buf)) > 0; ) {
      dropped += n;
    }
    return new Body(null, body.length + dropped, dropped < DRAIN_LIMIT);
  }

  /**
   * A JDK HTTP server bound to {@code address}, with Nagle's algorithm off: the JDK server otherwise writes a
   * reply as headers + body and waits for the client's delayed ACK (44 ms vs 0.36 ms per loopback round trip,
   * measured). The property is read once, when the process creates its first server; one set explicitly wins.
   */
  public static HttpServer newServer(InetSocketAddress address, int backlog) throws IOException {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    return HttpServer.create(address, backlog);
  }

  /** The URL-decoded value of query parameter {@code key}, or null. */
  public static String query(URI uri, String key) {
    String q = uri.getRawQuery();
    if (q != null) {
      for (String kv : q.split("&")) {
        if (kv.startsWith(key + "=")) {
          return URLDecoder.decode(kv.substring(key.length() + 1), StandardCharsets.UTF_8);
        }
      }
    }
    return null;
  }
}
