package dev.streamfit.http.internal;

import dev.streamfit.http.HttpError;
import dev.streamfit.http.HttpLimits;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/** The framing rules of a request head: what the decoder refused, and the body length it declares. Stateless. */
final class Framing {
  private Framing() {}

  /** Why the decoder could not read {@code r}'s head (414, 431 or 400), or null if it could. */
  static HttpError headError(HttpRequest r, HttpLimits limits) {
    DecoderResult dr = r.decoderResult();
    if (!dr.isFailure()) {
      return null;
    }
    Throwable c = dr.cause();
    if (c instanceof TooLongHttpLineException) {
      return new HttpError(414, "uri_too_long", "request line exceeds " + Math.min(8192, limits.maxHeaderBytes())
          + " bytes");
    }
    if (c instanceof TooLongHttpHeaderException || c instanceof TooLongFrameException) {
      return new HttpError(431, "headers_too_large", "request headers exceed http.max-header-bytes="
          + limits.maxHeaderBytes() + " (set --http-max-header-bytes)");
    }
    return HttpError.badRequest("malformed HTTP request: " + c.getMessage());
  }

  /**
   * The body length {@code r} declares: its Content-Length, or -1 when it has none (chunked, or no body).
   *
   * @throws HttpError 400 for an invalid Content-Length, or one beside {@code Transfer-Encoding: chunked}
   */
  static long declaredLength(HttpRequest r) {
    String cl = r.headers().get(HttpHeaderNames.CONTENT_LENGTH);
    if (cl == null) {
      return -1;
    }
    if (HttpUtil.isTransferEncodingChunked(r)) {
      throw HttpError.badRequest("both Content-Length and Transfer-Encoding: chunked");
    }
    try {
      long length = Long.parseLong(cl.trim());
      if (length >= 0) {
        return length;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw HttpError.badRequest("invalid Content-Length: " + cl);
  }
}
