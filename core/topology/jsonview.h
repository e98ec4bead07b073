#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>

#include <initializer_list>
#include <memory>
#include <simdjson.h>
#include <string_view>
#include <utility>
#include <vector>

/// QJsonValue look-alikes over a simdjson DOM, for the parsers that read thousands of objects
/// (QJsonDocument spends most of a large topology's parse building its tree; simdjson parses the
/// same bytes several times faster and keeps them in one flat tape).
///
/// Value, Object and Array answer as QJsonValue, QJsonObject and QJsonArray would for the same
/// text, so one parser body runs on either: a number that is a whole qint64 is an integer (as Qt
/// stores it), an object's keys iterate in Qt's order (by code point) and a repeated key reads as
/// its last value. Document::parse() refuses what simdjson refuses and the documents where the DOM
/// cannot tell what Qt would read (see there): the caller then reads them with QJsonDocument,
/// which also words every error. Private to core/topology.
namespace nestscope::jsonview {

class Object;
class Array;

class Value {
public:
    Value() = default;
    explicit Value(simdjson::dom::element e)
        : m_e(e)
        , m_defined(true)
    {
    }
    QJsonValue::Type type() const;
    bool isUndefined() const { return !m_defined; }
    bool isNull() const { return type() == QJsonValue::Null; }
    bool isBool() const { return type() == QJsonValue::Bool; }
    bool isDouble() const { return type() == QJsonValue::Double; }
    bool isString() const { return type() == QJsonValue::String; }
    bool isArray() const { return type() == QJsonValue::Array; }
    bool isObject() const { return type() == QJsonValue::Object; }
    bool toBool() const;
    double toDouble() const;
    qint64 toInteger() const;
    QString toString() const; ///< a null QString for anything but a string, as QJsonValue does
    Object toObject() const; ///< empty for anything but an object
    Array toArray() const; ///< empty for anything but an array
    simdjson::dom::element element() const { return m_e; }

private:
    simdjson::dom::element m_e;
    bool m_defined = false;
};

class Object {
public:
    struct Member {
        std::string_view key;
        simdjson::dom::element value;
    };

    Object() = default;
    explicit Object(simdjson::dom::object o)
        : m_o(o)
        , m_valid(true)
    {
    }
    qsizetype size() const { return qsizetype(members().size()); }
    bool isEmpty() const { return !m_valid || m_o.begin() == m_o.end(); }
    Value value(QLatin1StringView key) const { return find(std::string_view(key.data(), size_t(key.size()))); }
    Value value(const QString &key) const;
    bool contains(QLatin1StringView key) const { return !value(key).isUndefined(); }
    bool contains(const QString &key) const { return !value(key).isUndefined(); }

    /// Qt's members: one per key (the last of a repeated one), in Qt's key order.
    const std::vector<Member> &members() const;

    class const_iterator {
    public:
        QString key() const { return QString::fromUtf8(m_m->key.data(), qsizetype(m_m->key.size())); }
        Value value() const { return Value(m_m->value); }
        const_iterator &operator++()
        {
            ++m_m;
            return *this;
        }
        bool operator==(const const_iterator &o) const { return m_m == o.m_m; }
        bool operator!=(const const_iterator &o) const { return m_m != o.m_m; }

    private:
        friend class Object;
        explicit const_iterator(const Member *m)
            : m_m(m)
        {
        }
        const Member *m_m;
    };
    const_iterator begin() const { return const_iterator(members().data()); }
    const_iterator end() const { return const_iterator(members().data() + members().size()); }

private:
    Value find(std::string_view key) const;
    simdjson::dom::object m_o;
    bool m_valid = false;
    mutable std::shared_ptr<const std::vector<Member>> m_members; ///< built on first iteration
};

class Array {
public:
    Array() = default;
    explicit Array(simdjson::dom::array a);
    qsizetype size() const { return m_items ? qsizetype(m_items->size()) : 0; }
    bool isEmpty() const { return size() == 0; }
    Value at(qsizetype i) const { return i >= 0 && i < size() ? Value((*m_items)[size_t(i)]) : Value(); }
    Value first() const { return at(0); }

private:
    std::shared_ptr<const std::vector<simdjson::dom::element>> m_items; ///< DOM arrays index in linear time
};

/// One parsed text; values refer into it and must not outlive it.
class Document {
public:
    /// True when simdjson takes `json`, its top is an object or an array, and it reads as
    /// QJsonDocument would. False otherwise, including when a number reads as a double zero and
    /// the text has a number that may underflow (a negative exponent, a long run of zeros): Qt
    /// reads "0.00" as 0 but refuses "1e-400", and simdjson's DOM no longer tells them apart.
    bool parse(const QByteArray &json);
    Value root() const { return m_ok ? Value(m_root) : Value(); }

private:
    simdjson::dom::parser m_parser;
    simdjson::dom::element m_root;
    bool m_ok = false;
};

/// QJsonDocument(object without the `skip` keys).toJson(QJsonDocument::Indented), as UTF-8.
QByteArray indentedJson(const Object &object, std::initializer_list<QLatin1StringView> skip);

} // namespace nestscope::jsonview
