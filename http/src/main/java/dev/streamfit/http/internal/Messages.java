package dev.streamfit.http.internal;

import dev.streamfit.http.Request;
import dev.streamfit.http.Response;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Conversions between Netty's messages and the front's {@link Request} and {@link Response}. Stateless. */
final class Messages {
  private Messages() {}

  /** The whole request; throws IllegalArgumentException for a malformed URI. */
  static Request request(HttpRequest r, byte[] body, InetSocketAddress remote) {
    String uri = originForm(r.uri());
    QueryStringDecoder q = new QueryStringDecoder(uri);
    int qi = uri.indexOf('?');
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : r.headers()) {
      headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.getValue());
    }
    return new Request(r.method().name(), q.path(), qi < 0 ? null : uri.substring(qi + 1), headers, body, remote);
  }

  /**
   * The path and query of a request target (RFC 9112 §3.2): an absolute-form target ({@code http://host:port/p?q},
   * which a server must accept) as its path and query ({@code /p?q}; {@code /} when it has no path); any other form
   * as it is.
   */
  static String originForm(String target) {
    int colon = target.indexOf("://");
    if (colon <= 0 || target.startsWith("/")) {
      return target;
    }
    String scheme = target.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("request target with scheme " + scheme + ": only http and https are served");
    }
    int start = colon + 3;
    int end = start;
    while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?' && target.charAt(end) != '#') {
      end++;
    }
    if (end == start) {
      throw new IllegalArgumentException("absolute-form request target without a host: " + target);
    }
    String rest = target.substring(end);
    return rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
  }

  /** The response with its Content-Length, and {@code Connection: close} when {@code close}. */
  static FullHttpResponse toNetty(Response a, boolean close) {
    HttpResponseStatus status = HttpResponseStatus.valueOf(a.status());
    FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(a.body()));
    if (a.contentType() != null) {
      out.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
    }
    a.headers().forEach((k, v) -> out.headers().set(k, v));
    out.headers().set(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
    if (close) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return out;
  }

}
