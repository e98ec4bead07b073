#include "fastjson.h"

#include <QLocale>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace nestscope::fastjson {

namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxDigits = 18; // always fits a qint64

int compareBytes(const char *a, qsizetype na, const char *b, qsizetype nb)
{
    const int c = std::memcmp(a, b, size_t(std::min(na, nb)));
    if (c != 0) {
        return c;
    }
    return na < nb ? -1 : (na > nb ? 1 : 0);
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// Length of the well-formed UTF-8 sequence at p (a lead byte >= 0x80), or 0. Surrogates,
/// overlong forms, code points above U+10FFFF and noncharacters are refused (left to Qt).
int utf8Length(const unsigned char *p, const unsigned char *end)
{
    const unsigned char c = p[0];
    int n = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }
    if (end - p < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (int i = 2; i < n; ++i) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }
    char32_t cp = n == 2 ? (c & 0x1f) : (n == 3 ? (c & 0x0f) : (c & 0x07));
    for (int i = 1; i < n; ++i) {
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) {
        return 0;
    }
    return n;
}

} // namespace

// ---- parsing --------------------------------------------------------------------------------

class Document::Parser {
public:
    Parser(Document &doc)
        : m_doc(doc)
        , m_base(reinterpret_cast<const unsigned char *>(doc.m_data.constData()))
        , m_p(m_base)
        , m_end(m_base + doc.m_data.size())
    {
    }

    bool run()
    {
        if (m_doc.m_data.size() >= 0x7fffffff) {
            return false;
        }
        quint32 root = 0;
        if (!value(root, 0)) {
            return false;
        }
        skipSpace();
        if (m_p != m_end) {
            return false;
        }
        // A document is an object or an array, as QJsonDocument has it: a lone string or number
        // is refused here too, so both readers agree on what is JSON.
        const Kind kind = m_doc.m_nodes[root].kind;
        if (kind != Kind::Object && kind != Kind::Array) {
            return false;
        }
        m_doc.m_root = root;
        return true;
    }

private:
    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\t' || *m_p == '\r')) {
            ++m_p;
        }
    }

    quint32 add(const Node &n)
    {
        m_doc.m_nodes.push_back(n);
        return quint32(m_doc.m_nodes.size() - 1);
    }

    bool literal(const char *word, size_t n, Kind kind, quint32 &out)
    {
        if (size_t(m_end - m_p) < n || std::memcmp(m_p, word, n) != 0) {
            return false;
        }
        m_p += n;
        Node node;
        node.kind = kind;
        out = add(node);
        return true;
    }

    bool value(quint32 &out, int depth)
    {
        skipSpace();
        if (m_p == m_end) {
            return false;
        }
        switch (*m_p) {
        case '{':
            return object(out, depth + 1);
        case '[':
            return array(out, depth + 1);
        case '"':
            return string(out);
        case 't':
            return literal("true", 4, Kind::True, out);
        case 'f':
            return literal("false", 5, Kind::False, out);
        case 'n':
            return literal("null", 4, Kind::Null, out);
        default:
            return number(out);
        }
    }

    bool number(quint32 &out)
    {
        const unsigned char *start = m_p;
        bool negative = false;
        if (*m_p == '-') {
            negative = true;
            ++m_p;
        }
        const unsigned char *digits = m_p;
        qint64 v = 0;
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9') {
            if (m_p - digits < kMaxDigits) {
                v = v * 10 + (*m_p - '0');
            }
            ++m_p;
        }
        const qsizetype n = m_p - digits;
        if (n == 0 || (n > 1 && *digits == '0')) {
            return false;
        }
        bool isInteger = true;
        if (m_p < m_end && *m_p == '.') {
            isInteger = false;
            ++m_p;
            const unsigned char *fraction = m_p;
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9') {
                ++m_p;
            }
            if (m_p == fraction) {
                return false;
            }
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            isInteger = false;
            ++m_p;
            if (m_p < m_end && (*m_p == '+' || *m_p == '-')) {
                ++m_p;
            }
            const unsigned char *exponent = m_p;
            while (m_p < m_end && *m_p >= '0' && *m_p <= '9') {
                ++m_p;
            }
            if (m_p == exponent) {
                return false;
            }
        }
        Node node;
        if (isInteger) {
            if (n > kMaxDigits) {
                return false; // Qt keeps up to qint64's range exactly, beyond as a double: its rules
            }
            node.kind = Kind::Integer;
            node.integer = negative ? -v : v;
        } else {
            // The conversion Qt's JSON parser uses, so the double is the same to the last bit.
            bool ok = false;
            node.real = QByteArray::fromRawData(reinterpret_cast<const char *>(start), m_p - start).toDouble(&ok);
            if (!ok || !std::isfinite(node.real)) {
                return false;
            }
            node.kind = Kind::Double;
        }
        out = add(node);
        return true;
    }

    bool string(quint32 &out)
    {
        ++m_p; // the opening quote
        const unsigned char *s = m_p;
        quint8 flags = 0;
        while (true) {
            // Eight plain characters at a time: none a quote, a backslash, a control character
            // or beyond ASCII (each test is exact for "any byte in the word").
            while (m_end - m_p >= 8) {
                quint64 w;
                std::memcpy(&w, m_p, 8);
                constexpr quint64 ones = 0x0101010101010101ULL;
                constexpr quint64 high = 0x8080808080808080ULL;
                const quint64 quote = w ^ (ones * '"');
                const quint64 backslash = w ^ (ones * '\\');
                const quint64 special = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)
                    | ((w - ones * 0x20) & ~w) | w;
                if (special & high) {
                    break;
                }
                m_p += 8;
            }
            if (m_p == m_end) {
                return false;
            }
            const unsigned char c = *m_p;
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                flags |= Escaped;
                if (m_end - m_p < 2) {
                    return false;
                }
                switch (m_p[1]) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't':
                    m_p += 2;
                    continue;
                case 'u': {
                    if (m_end - m_p < 6) {
                        return false;
                    }
                    int v = 0;
                    for (int i = 2; i < 6; ++i) {
                        const int h = hexValue(char(m_p[i]));
                        if (h < 0) {
                            return false;
                        }
                        v = v * 16 + h;
                    }
                    if (v >= 0x80) {
                        return false; // surrogates and the like: Qt's rules
                    }
                    m_p += 6;
                    continue;
                }
                default:
                    return false;
                }
            }
            if (c < 0x20) {
                return false; // Qt takes raw control characters; strict JSON does not
            }
            if (c >= 0x80) {
                const int n = utf8Length(m_p, m_end);
                if (n == 0) {
                    return false;
                }
                flags |= NonAscii;
                m_p += n;
                continue;
            }
            ++m_p;
        }
        Node node;
        node.kind = Kind::String;
        node.flags = flags;
        node.size = quint32(m_p - s);
        node.start = quint32(s - m_base);
        ++m_p; // the closing quote
        out = add(node);
        return true;
    }

    bool array(quint32 &out, int depth)
    {
        if (depth > kMaxDepth) {
            return false;
        }
        ++m_p;
        const size_t base = m_stack.size();
        skipSpace();
        if (m_p < m_end && *m_p == ']') {
            ++m_p;
        } else {
            while (true) {
                quint32 v = 0;
                if (!value(v, depth)) {
                    return false;
                }
                m_stack.push_back(v);
                skipSpace();
                if (m_p == m_end) {
                    return false;
                }
                if (*m_p == ',') {
                    ++m_p;
                    continue;
                }
                if (*m_p == ']') {
                    ++m_p;
                    break;
                }
                return false;
            }
        }
        Node node;
        node.kind = Kind::Array;
        node.size = quint32(m_stack.size() - base);
        node.start = quint32(m_doc.m_kids.size());
        m_doc.m_kids.insert(m_doc.m_kids.end(), m_stack.begin() + qptrdiff(base), m_stack.end());
        m_stack.resize(base);
        out = add(node);
        return true;
    }

    bool object(quint32 &out, int depth)
    {
        if (depth > kMaxDepth) {
            return false;
        }
        ++m_p;
        const size_t base = m_stack.size();
        skipSpace();
        if (m_p < m_end && *m_p == '}') {
            ++m_p;
        } else {
            while (true) {
                skipSpace();
                if (m_p == m_end || *m_p != '"') {
                    return false;
                }
                quint32 key = 0;
                if (!string(key) || m_doc.m_nodes[key].flags != 0) {
                    return false; // keys with escapes or beyond ASCII: Qt's ordering rules
                }
                skipSpace();
                if (m_p == m_end || *m_p != ':') {
                    return false;
                }
                ++m_p;
                quint32 v = 0;
                if (!value(v, depth)) {
                    return false;
                }
                m_stack.push_back(key);
                m_stack.push_back(v);
                skipSpace();
                if (m_p == m_end) {
                    return false;
                }
                if (*m_p == ',') {
                    ++m_p;
                    continue;
                }
                if (*m_p == '}') {
                    ++m_p;
                    break;
                }
                return false;
            }
        }
        // Sorted by key, as QJsonObject keeps them; a duplicate key (where Qt keeps the last) is
        // left to Qt.
        const size_t pairs = (m_stack.size() - base) / 2;
        const char *data = m_doc.m_data.constData();
        auto keyCompare = [&](quint32 a, quint32 b) {
            const Node &ka = m_doc.m_nodes[a];
            const Node &kb = m_doc.m_nodes[b];
            return compareBytes(data + ka.start, ka.size, data + kb.start, kb.size);
        };
        bool sorted = true;
        for (size_t i = 1; i < pairs; ++i) {
            const int c = keyCompare(m_stack[base + 2 * (i - 1)], m_stack[base + 2 * i]);
            if (c == 0) {
                return false;
            }
            if (c > 0) {
                sorted = false;
            }
        }
        Node node;
        node.kind = Kind::Object;
        node.size = quint32(pairs);
        node.start = quint32(m_doc.m_kids.size());
        if (sorted) {
            m_doc.m_kids.insert(m_doc.m_kids.end(), m_stack.begin() + qptrdiff(base), m_stack.end());
        } else {
            m_order.resize(pairs);
            for (size_t i = 0; i < pairs; ++i) {
                m_order[i] = quint32(i);
            }
            std::sort(m_order.begin(), m_order.end(), [&](quint32 a, quint32 b) {
                return keyCompare(m_stack[base + 2 * a], m_stack[base + 2 * b]) < 0;
            });
            for (size_t i = 1; i < pairs; ++i) {
                if (keyCompare(m_stack[base + 2 * m_order[i - 1]], m_stack[base + 2 * m_order[i]]) == 0) {
                    return false;
                }
            }
            for (const quint32 i : m_order) {
                m_doc.m_kids.push_back(m_stack[base + 2 * i]);
                m_doc.m_kids.push_back(m_stack[base + 2 * i + 1]);
            }
        }
        m_stack.resize(base);
        out = add(node);
        return true;
    }

    Document &m_doc;
    const unsigned char *m_base;
    const unsigned char *m_p;
    const unsigned char *m_end;
    std::vector<quint32> m_stack; ///< members of the containers being read
    std::vector<quint32> m_order;
};

bool Document::parse(const QByteArray &json)
{
    m_data = json;
    m_nodes.clear();
    m_kids.clear();
    m_root = 0;
    // A rough guess from the indented output `lxc query` prints: one value per ~25 bytes.
    m_nodes.reserve(size_t(json.size() / 25) + 16);
    m_kids.reserve(size_t(json.size() / 25) + 16);
    if (!Parser(*this).run()) {
        m_nodes.clear();
        m_kids.clear();
        return false;
    }
    return true;
}

// ---- reading --------------------------------------------------------------------------------

QByteArray Document::decodedBytes(const Node &n) const
{
    const char *p = m_data.constData() + n.start;
    const char *end = p + n.size;
    QByteArray out;
    out.reserve(n.size);
    while (p < end) {
        if (*p != '\\') {
            out.append(*p++);
            continue;
        }
        const char e = p[1];
        switch (e) {
        case 'b':
            out.append('\b');
            break;
        case 'f':
            out.append('\f');
            break;
        case 'n':
            out.append('\n');
            break;
        case 'r':
            out.append('\r');
            break;
        case 't':
            out.append('\t');
            break;
        case 'u':
            out.append(char(hexValue(p[4]) * 16 + hexValue(p[5]))); // < 0x80, checked when parsed
            p += 4;
            break;
        default: // " \ /
            out.append(e);
            break;
        }
        p += 2;
    }
    return out;
}

QString Document::string(const Node &n) const
{
    if (n.flags == 0) {
        return QString::fromLatin1(m_data.constData() + n.start, n.size);
    }
    if (!(n.flags & Escaped)) {
        return QString::fromUtf8(m_data.constData() + n.start, n.size);
    }
    if (n.flags & NonAscii) {
        return QString::fromUtf8(decodedBytes(n));
    }
    // ASCII with escapes that stand for ASCII: one UTF-16 unit per decoded character.
    QString out(n.size, Qt::Uninitialized);
    char16_t *o = reinterpret_cast<char16_t *>(out.data());
    const char *p = m_data.constData() + n.start;
    const char *end = p + n.size;
    qsizetype len = 0;
    while (p < end) {
        if (*p != '\\') {
            o[len++] = char16_t(static_cast<unsigned char>(*p++));
            continue;
        }
        const char e = p[1];
        char16_t c = char16_t(e); // " \ /
        switch (e) {
        case 'b':
            c = u'\b';
            break;
        case 'f':
            c = u'\f';
            break;
        case 'n':
            c = u'\n';
            break;
        case 'r':
            c = u'\r';
            break;
        case 't':
            c = u'\t';
            break;
        case 'u':
            c = char16_t(hexValue(p[4]) * 16 + hexValue(p[5]));
            p += 4;
            break;
        default:
            break;
        }
        o[len++] = c;
        p += 2;
    }
    out.resize(len);
    return out;
}

QJsonValue::Type Value::type() const
{
    if (!m_doc) {
        return QJsonValue::Undefined;
    }
    switch (m_doc->m_nodes[m_node].kind) {
    case Document::Kind::Null:
        return QJsonValue::Null;
    case Document::Kind::False:
    case Document::Kind::True:
        return QJsonValue::Bool;
    case Document::Kind::Integer:
    case Document::Kind::Double:
        return QJsonValue::Double;
    case Document::Kind::String:
        return QJsonValue::String;
    case Document::Kind::Array:
        return QJsonValue::Array;
    case Document::Kind::Object:
        return QJsonValue::Object;
    }
    return QJsonValue::Undefined;
}

bool Value::toBool() const
{
    return m_doc && m_doc->m_nodes[m_node].kind == Document::Kind::True;
}

qint64 Value::toInteger() const
{
    if (!m_doc) {
        return 0;
    }
    const Document::Node &n = m_doc->m_nodes[m_node];
    if (n.kind == Document::Kind::Double) {
        // as QJsonValue: a double that is a whole number in range, else 0
        return n.real == std::trunc(n.real) && std::abs(n.real) < 9.2e18 ? qint64(n.real) : 0;
    }
    return n.kind == Document::Kind::Integer ? n.integer : 0;
}

double Value::toDouble() const
{
    if (!m_doc) {
        return 0;
    }
    const Document::Node &n = m_doc->m_nodes[m_node];
    return n.kind == Document::Kind::Double ? n.real : (n.kind == Document::Kind::Integer ? double(n.integer) : 0);
}

QString Value::toString() const
{
    if (!m_doc || m_doc->m_nodes[m_node].kind != Document::Kind::String) {
        return QString();
    }
    return m_doc->string(m_doc->m_nodes[m_node]);
}

Object Value::toObject() const
{
    return isObject() ? Object(m_doc, m_node) : Object();
}

Array Value::toArray() const
{
    return isArray() ? Array(m_doc, m_node) : Array();
}

qsizetype Object::size() const
{
    return m_doc ? qsizetype(m_doc->m_nodes[m_node].size) : 0;
}

qsizetype Object::find(const char *key, qsizetype length) const
{
    if (!m_doc) {
        return -1;
    }
    const Document::Node &o = m_doc->m_nodes[m_node];
    const char *data = m_doc->m_data.constData();
    qsizetype lo = 0;
    qsizetype hi = qsizetype(o.size);
    while (lo < hi) {
        const qsizetype mid = (lo + hi) / 2;
        const Document::Node &k = m_doc->m_nodes[m_doc->m_kids[o.start + 2 * mid]];
        const int c = compareBytes(data + k.start, k.size, key, length);
        if (c == 0) {
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

Value Object::value(QLatin1StringView key) const
{
    const qsizetype i = find(key.data(), key.size());
    return i < 0 ? Value() : Value(m_doc, m_doc->m_kids[m_doc->m_nodes[m_node].start + 2 * i + 1]);
}

Value Object::value(const QString &key) const
{
    // Keys here are ASCII: a key with anything else cannot be among them.
    for (const QChar c : key) {
        if (c.unicode() >= 0x80) {
            return Value();
        }
    }
    return value(QLatin1StringView(key.toLatin1()));
}

QString Object::const_iterator::key() const
{
    const Document *d = m_o->m_doc;
    return d->string(d->m_nodes[d->m_kids[d->m_nodes[m_o->m_node].start + 2 * m_i]]);
}

Value Object::const_iterator::value() const
{
    const Document *d = m_o->m_doc;
    return Value(d, d->m_kids[d->m_nodes[m_o->m_node].start + 2 * m_i + 1]);
}

qsizetype Array::size() const
{
    return m_doc ? qsizetype(m_doc->m_nodes[m_node].size) : 0;
}

Value Array::at(qsizetype i) const
{
    if (i < 0 || i >= size()) {
        return Value();
    }
    return Value(m_doc, m_doc->m_kids[m_doc->m_nodes[m_node].start + i]);
}

// ---- writing, as QJsonDocument::toJson(Indented) does ----------------------------------------

/// Writes into a buffer it grows itself: appending to a QByteArray or std::string a character
/// at a time costs more than the rest of the writing.
class Document::Writer {
public:
    explicit Writer(const Document &doc)
        : m_doc(doc)
    {
        grow(4096);
    }
    void string(const Node &n);
    void value(quint32 node, int indent);
    void put(char c)
    {
        room(1);
        *m_p++ = c;
    }
    void put(const char *s, size_t n)
    {
        room(n);
        std::memcpy(m_p, s, n);
        m_p += n;
    }
    template <size_t N> void put(const char (&s)[N]) { put(s, N - 1); }
    void put(const char *s) { put(s, std::strlen(s)); }
    void indentBy(int levels)
    {
        const size_t n = 4 * size_t(levels);
        room(n);
        std::memset(m_p, ' ', n);
        m_p += n;
    }
    QByteArray take()
    {
        m_out.resize(m_p - m_out.data());
        return std::move(m_out);
    }

private:
    void room(size_t n)
    {
        if (size_t(m_end - m_p) < n) {
            grow(n);
        }
    }
    void grow(size_t n)
    {
        const qsizetype used = m_out.isEmpty() ? 0 : m_p - m_out.data();
        m_out.resize(std::max<qsizetype>(2 * m_out.size(), used + qsizetype(n) + 4096));
        m_p = m_out.data() + used;
        m_end = m_out.data() + m_out.size();
    }
    const Document &m_doc;
    QByteArray m_out;
    char *m_p = nullptr;
    char *m_end = nullptr;
};

void Document::Writer::string(const Node &n)
{
    put('"');
    const char *p = m_doc.m_data.constData() + n.start;
    if (!(n.flags & Escaped)) {
        // Nothing to escape: no quote, backslash or control character made it through the parser.
        put(p, n.size);
        put('"');
        return;
    }
    static const char hex[] = "0123456789abcdef";
    const char *end = p + n.size;
    while (p < end) {
        char c = *p++;
        if (c == '\\') {
            // Decode the escape, then write the character as Qt does.
            const char e = *p++;
            switch (e) {
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'u':
                c = char(hexValue(p[2]) * 16 + hexValue(p[3])); // < 0x80, checked when parsed
                p += 4;
                break;
            default: // " \ /
                c = e;
                break;
            }
        }
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && c != '"' && c != '\\') {
            put(c);
            continue;
        }
        put('\\');
        switch (c) {
        case '"':
        case '\\':
            put(c);
            break;
        case '\b':
            put('b');
            break;
        case '\f':
            put('f');
            break;
        case '\n':
            put('n');
            break;
        case '\r':
            put('r');
            break;
        case '\t':
            put('t');
            break;
        default:
            put("u00", 3);
            put(hex[u >> 4]);
            put(hex[u & 0xf]);
            break;
        }
    }
    put('"');
}

void Document::Writer::value(quint32 node, int indent)
{
    const Node &n = m_doc.m_nodes[node];
    switch (n.kind) {
    case Kind::Null:
        put("null", 4);
        return;
    case Kind::False:
        put("false", 5);
        return;
    case Kind::True:
        put("true", 4);
        return;
    case Kind::Integer: {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, n.integer);
        put(buf, size_t(r.ptr - buf));
        return;
    }
    case Kind::Double: {
        const QByteArray text = QByteArray::number(n.real, 'g', QLocale::FloatingPointShortest);
        put(text.constData(), size_t(text.size()));
        return;
    }
    case Kind::String:
        string(n);
        return;
    case Kind::Array:
        put("[\n", 2);
        for (quint32 i = 0; i < n.size; ++i) {
            indentBy(indent + 1);
            value(m_doc.m_kids[n.start + i], indent + 1);
            put(i + 1 < n.size ? ",\n" : "\n");
        }
        indentBy(indent);
        put(']');
        return;
    case Kind::Object:
        put("{\n", 2);
        for (quint32 i = 0; i < n.size; ++i) {
            indentBy(indent + 1);
            string(m_doc.m_nodes[m_doc.m_kids[n.start + 2 * i]]);
            put(": ", 2);
            value(m_doc.m_kids[n.start + 2 * i + 1], indent + 1);
            put(i + 1 < n.size ? ",\n" : "\n");
        }
        indentBy(indent);
        put('}');
        return;
    }
}

QByteArray Document::indentedJson(const Object &object, std::initializer_list<QLatin1StringView> skip) const
{
    if (object.m_doc != this) {
        return QByteArrayLiteral("{\n}\n");
    }
    Writer out(*this);
    const Node &n = m_nodes[object.m_node];
    out.put("{\n");
    bool first = true;
    for (quint32 i = 0; i < n.size; ++i) {
        const Node &k = m_nodes[m_kids[n.start + 2 * i]];
        const bool skipped = std::any_of(skip.begin(), skip.end(), [&](QLatin1StringView s) {
            return compareBytes(m_data.constData() + k.start, k.size, s.data(), s.size()) == 0;
        });
        if (skipped) {
            continue;
        }
        if (!first) {
            out.put(",\n");
        }
        first = false;
        out.indentBy(1);
        out.string(k);
        out.put(": ");
        out.value(m_kids[n.start + 2 * i + 1], 1);
    }
    out.put(first ? "}\n" : "\n}\n");
    return out.take();
}

} // namespace nestscope::fastjson
