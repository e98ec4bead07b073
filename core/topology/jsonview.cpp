#include "jsonview.h"

#include <QLocale>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace nestscope::jsonview {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

/// Qt keeps a number that is a whole qint64 as an integer (and so "-0.0" as 0); true with it.
bool wholeInteger(double d, qint64 *out)
{
    if (d != std::trunc(d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return false;
    }
    *out = qint64(d);
    return true;
}

/// Qt orders keys by code point, which is UTF-8's byte order.
bool keyLess(std::string_view a, std::string_view b)
{
    return a < b;
}

/// An object's members as Qt keeps them: sorted by key, and of a repeated key only the last.
void qtMembers(simdjson::dom::object o, std::vector<Object::Member> &out)
{
    out.clear();
    for (const auto member : o) {
        out.push_back(Object::Member { member.key, member.value });
    }
    const auto less = [](const Object::Member &a, const Object::Member &b) {
        return keyLess(a.key, b.key);
    };
    // Stable, so that of repeated keys the last comes last. Objects here have a few dozen keys
    // at most, often in order already: an insertion sort, which allocates nothing.
    if (out.size() > 64) {
        std::stable_sort(out.begin(), out.end(), less);
    } else {
        for (size_t i = 1; i < out.size(); ++i) {
            for (size_t j = i; j > 0 && less(out[j], out[j - 1]); --j) {
                std::swap(out[j], out[j - 1]);
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        if (i + 1 < out.size() && out[i].key == out[i + 1].key) {
            continue;
        }
        out[kept++] = out[i];
    }
    out.resize(kept);
}

/// Whether simdjson read some number as a double zero ("0.00", which Qt reads as the integer 0,
/// or an underflow such as "1e-400", which Qt refuses).
bool hasDoubleZero(element e)
{
    switch (e.type()) {
    // The array or object is copied out first: a range-for over value_unsafe() of a temporary
    // result would dangle.
    case element_type::ARRAY: {
        const simdjson::dom::array a = e.get_array().value_unsafe();
        for (const element child : a) {
            if (hasDoubleZero(child)) {
                return true;
            }
        }
        return false;
    }
    case element_type::OBJECT: {
        const simdjson::dom::object o = e.get_object().value_unsafe();
        for (const auto member : o) {
            if (hasDoubleZero(member.value)) {
                return true;
            }
        }
        return false;
    }
    case element_type::DOUBLE:
        return e.get_double().value_unsafe() == 0;
    default:
        return false;
    }
}

/// Whether some number in the text may underflow: one with a negative exponent, or with a long
/// run of zeros (without a negative exponent, an underflow needs over 300 of them after the
/// point). Errs on the side of yes: a string that looks like such a number counts too.
bool mayUnderflow(const QByteArray &json)
{
    static const QByteArray zeros(64, '0');
    if (json.contains(zeros)) {
        return true;
    }
    const char *begin = json.constData();
    const char *end = begin + json.size();
    for (const char *p = begin; (p = static_cast<const char *>(std::memchr(p, '-', size_t(end - p)))); ++p) {
        if (p - begin < 2 || (p[-1] != 'e' && p[-1] != 'E')) {
            continue;
        }
        // Back over the mantissa to what comes before the token: a number follows one of these.
        const char *q = p - 1;
        while (q > begin && ((q[-1] >= '0' && q[-1] <= '9') || q[-1] == '.' || q[-1] == '-')) {
            --q;
        }
        if (q == p - 1) {
            continue; // nothing before the 'e' that a number has: a word
        }
        while (q > begin && (q[-1] == ' ' || q[-1] == '\n' || q[-1] == '\t' || q[-1] == '\r')) {
            --q;
        }
        if (q == begin || q[-1] == ':' || q[-1] == ',' || q[-1] == '[') {
            return true;
        }
    }
    return false;
}

} // namespace

// ---- reading --------------------------------------------------------------------------------

QJsonValue::Type Value::type() const
{
    if (!m_defined) {
        return QJsonValue::Undefined;
    }
    switch (m_e.type()) {
    case element_type::NULL_VALUE:
        return QJsonValue::Null;
    case element_type::BOOL:
        return QJsonValue::Bool;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
        return QJsonValue::Double;
    case element_type::STRING:
        return QJsonValue::String;
    case element_type::ARRAY:
        return QJsonValue::Array;
    case element_type::OBJECT:
        return QJsonValue::Object;
    }
    return QJsonValue::Undefined;
}

bool Value::toBool() const
{
    return m_defined && m_e.type() == element_type::BOOL && m_e.get_bool().value_unsafe();
}

double Value::toDouble() const
{
    if (!m_defined) {
        return 0;
    }
    switch (m_e.type()) {
    case element_type::INT64:
        return double(m_e.get_int64().value_unsafe());
    case element_type::UINT64:
        return double(m_e.get_uint64().value_unsafe());
    case element_type::DOUBLE: {
        // A whole number is an integer to Qt: "-0.0" reads as 0.
        const double d = m_e.get_double().value_unsafe();
        qint64 n = 0;
        return wholeInteger(d, &n) ? double(n) : d;
    }
    default:
        return 0;
    }
}

qint64 Value::toInteger() const
{
    if (!m_defined) {
        return 0;
    }
    qint64 n = 0;
    switch (m_e.type()) {
    case element_type::INT64:
        return m_e.get_int64().value_unsafe();
    case element_type::DOUBLE:
        return wholeInteger(m_e.get_double().value_unsafe(), &n) ? n : 0;
    default:
        return 0; // above qint64 (UINT64) Qt holds a double, and toInteger() gives 0 for it
    }
}

QString Value::toString() const
{
    if (!m_defined || m_e.type() != element_type::STRING) {
        return QString();
    }
    const std::string_view s = m_e.get_string().value_unsafe();
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

Object Value::toObject() const
{
    return m_defined && m_e.type() == element_type::OBJECT ? Object(m_e.get_object().value_unsafe()) : Object();
}

Array Value::toArray() const
{
    return m_defined && m_e.type() == element_type::ARRAY ? Array(m_e.get_array().value_unsafe()) : Array();
}

Value Object::find(std::string_view key) const
{
    if (!m_valid) {
        return Value();
    }
    // Objects here are small: a scan, and the last match wins as in Qt.
    Value found;
    for (auto it = m_o.begin(); it != m_o.end(); ++it) {
        if (it.key_length() == key.size() && std::memcmp(it.key_c_str(), key.data(), key.size()) == 0) {
            found = Value(it.value());
        }
    }
    return found;
}

Value Object::value(const QString &key) const
{
    const QByteArray utf8 = key.toUtf8();
    return find(std::string_view(utf8.constData(), size_t(utf8.size())));
}

const std::vector<Object::Member> &Object::members() const
{
    if (!m_members) {
        auto members = std::make_shared<std::vector<Member>>();
        if (m_valid) {
            qtMembers(m_o, *members);
        }
        m_members = std::move(members);
    }
    return *m_members;
}

Array::Array(simdjson::dom::array a)
{
    auto items = std::make_shared<std::vector<element>>();
    for (const element e : a) {
        items->push_back(e);
    }
    m_items = std::move(items);
}

bool Document::parse(const QByteArray &json)
{
    m_ok = false;
    // simdjson reads past the end in wide steps: parse() copies into a padded buffer.
    if (m_parser.parse(json.constData(), size_t(json.size())).get(m_root) != simdjson::SUCCESS) {
        return false;
    }
    // QJsonDocument holds only an object or an array.
    if (!m_root.is_array() && !m_root.is_object()) {
        return false;
    }
    m_ok = !hasDoubleZero(m_root) || !mayUnderflow(json);
    return m_ok;
}

// ---- writing, as QJsonDocument::toJson(Indented) does ----------------------------------------

namespace {

/// Writes into a buffer it grows itself: QByteArray::append() a few bytes at a time costs more
/// than the rest of the writing.
class Writer {
public:
    void put(char c)
    {
        room(1);
        *m_p++ = c;
    }
    void put(std::string_view s)
    {
        room(s.size());
        std::memcpy(m_p, s.data(), s.size());
        m_p += s.size();
    }
    void indentBy(int levels)
    {
        const size_t n = 4 * size_t(levels);
        room(n);
        std::memset(m_p, ' ', n);
        m_p += n;
    }
    void string(std::string_view s);
    void value(element e, int indent);
    void members(const std::vector<Object::Member> &members, int indent);
    QByteArray take()
    {
        if (!m_p) {
            return {};
        }
        m_out.resize(m_p - m_out.data());
        m_p = m_end = nullptr;
        return std::move(m_out);
    }

private:
    void room(size_t n)
    {
        if (size_t(m_end - m_p) < n) {
            const qsizetype used = m_out.isEmpty() ? 0 : m_p - m_out.data();
            m_out.resize(std::max<qsizetype>(2 * m_out.size(), used + qsizetype(n) + 4096));
            m_p = m_out.data() + used;
            m_end = m_out.data() + m_out.size();
        }
    }
    QByteArray m_out;
    char *m_p = nullptr;
    char *m_end = nullptr;
    std::vector<std::vector<Object::Member>> m_scratch; ///< one per level, reused
};

void Writer::string(std::string_view s)
{
    static const char hex[] = "0123456789abcdef";
    put('"');
    const char *p = s.data();
    const char *end = p + s.size();
    while (p < end) {
        // Runs of characters written as they are: UTF-8 stays UTF-8, as Qt writes it. Eight at a
        // time while none of them is a quote, a backslash or a control character (each test is
        // exact for "some byte in the word is"; bytes beyond ASCII are let through by the mask).
        const char *run = p;
        while (end - p >= 8) {
            quint64 w;
            std::memcpy(&w, p, 8);
            constexpr quint64 ones = 0x0101010101010101ULL;
            constexpr quint64 high = 0x8080808080808080ULL;
            const quint64 quote = w ^ (ones * '"');
            const quint64 backslash = w ^ (ones * '\\');
            const quint64 special
                = (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w)) & high;
            if (special) {
                break;
            }
            p += 8;
        }
        while (p < end && static_cast<unsigned char>(*p) >= 0x20 && *p != '"' && *p != '\\') {
            ++p;
        }
        put(std::string_view(run, size_t(p - run)));
        if (p == end) {
            break;
        }
        const auto c = static_cast<unsigned char>(*p++);
        put('\\');
        switch (c) {
        case '"':
        case '\\':
            put(char(c));
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
            put("u00");
            put(hex[c >> 4]);
            put(hex[c & 0xf]);
            break;
        }
    }
    put('"');
}

void Writer::members(const std::vector<Object::Member> &members, int indent)
{
    for (size_t i = 0; i < members.size(); ++i) {
        indentBy(indent + 1);
        string(members[i].key);
        put(": ");
        value(members[i].value, indent + 1);
        put(i + 1 < members.size() ? ",\n" : "\n");
    }
}

void Writer::value(element e, int indent)
{
    char buf[24];
    qint64 n = 0;
    switch (e.type()) {
    case element_type::NULL_VALUE:
        put("null");
        return;
    case element_type::BOOL:
        put(e.get_bool().value_unsafe() ? "true" : "false");
        return;
    case element_type::INT64:
        n = e.get_int64().value_unsafe();
        break;
    case element_type::UINT64:
    case element_type::DOUBLE: {
        const double d = e.get_double().value_unsafe();
        if (!wholeInteger(d, &n)) {
            put(QByteArray::number(d, 'g', QLocale::FloatingPointShortest).toStdString());
            return;
        }
        break;
    }
    case element_type::STRING:
        string(e.get_string().value_unsafe());
        return;
    case element_type::ARRAY: {
        put("[\n");
        const simdjson::dom::array a = e.get_array().value_unsafe();
        for (auto it = a.begin(); it != a.end();) {
            indentBy(indent + 1);
            value(*it, indent + 1);
            ++it;
            put(it != a.end() ? ",\n" : "\n");
        }
        indentBy(indent);
        put(']');
        return;
    }
    case element_type::OBJECT: {
        put("{\n");
        if (m_scratch.size() <= size_t(indent)) {
            m_scratch.resize(size_t(indent) + 1);
        }
        // Moved out while in use: a deeper level may grow m_scratch.
        std::vector<Object::Member> sorted = std::move(m_scratch[size_t(indent)]);
        qtMembers(e.get_object().value_unsafe(), sorted);
        members(sorted, indent);
        m_scratch[size_t(indent)] = std::move(sorted);
        indentBy(indent);
        put('}');
        return;
    }
    }
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    put(std::string_view(buf, size_t(r.ptr - buf)));
}

} // namespace

QByteArray indentedJson(const Object &object, std::initializer_list<QLatin1StringView> skip)
{
    std::vector<Object::Member> kept;
    kept.reserve(object.members().size());
    for (const Object::Member &m : object.members()) {
        const bool skipped = std::any_of(skip.begin(), skip.end(), [&](QLatin1StringView s) {
            return m.key == std::string_view(s.data(), size_t(s.size()));
        });
        if (!skipped) {
            kept.push_back(m);
        }
    }
    Writer out;
    if (kept.empty()) {
        out.put("{\n}\n");
        return out.take();
    }
    out.put("{\n");
    out.members(kept, 0);
    out.put("}\n");
    return out.take();
}

} // namespace nestscope::jsonview
