package dev.streamfit.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client over one socket, for sending what well-behaved clients never send (bytes one at a time,
 * broken framing, bodies that never come). Not thread-safe; close it.
 */
public final class RawHttp implements AutoCloseable {
  /** One response: status, headers by lower-case name, body as UTF-8. */
  public record Reply(int status, Map<String, String> headers, String body) {}

  private final Socket socket;

  /** Connects to 127.0.0.1:{@code port}; reads time out after {@code readTimeoutMs}. */
  public RawHttp(int port, int readTimeoutMs) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(readTimeoutMs);
    socket.setTcpNoDelay(true);
  }

  /** Sends {@code s} as ISO-8859-1 bytes. */
  public RawHttp send(String s) throws IOException {
    return send(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends {@code b}. */
  public RawHttp send(byte[] b) throws IOException {
    socket.getOutputStream().write(b);
    socket.getOutputStream().flush();
    return this;
  }

  /** Closes this side of the connection (a half-close: FIN sent, responses can still be read). */
  public RawHttp halfClose() throws IOException {
    socket.shutdownOutput();
    return this;
  }

  /** Reads one response (status line, headers, Content-Length body); skips 100 Continue. */
  public Reply read() throws IOException {
    InputStream in = socket.getInputStream();
    String status = line(in);
    if (status == null) {
      throw new IOException("connection closed before a response");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l; (l = line(in)) != null && !l.isEmpty(); ) {
      int c = l.indexOf(':');
      headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
    }
    int n = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(n);
    int code = Integer.parseInt(status.split(" ")[1]);
    if (code == 100) {
      return read();
    }
    return new Reply(code, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
