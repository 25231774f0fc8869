#pragma once
// An XML element tree: what the stream parser produces and the serializer writes.

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace starling::xml {

/// An attribute; `name` is the local name, except that attributes in the XML namespace keep the
/// reserved `xml:` prefix ("xml:lang"), the only prefixed attributes XMPP uses.
struct Attribute {
    std::string name;
    std::string value;
};

class Element;
using ElementPtr = std::shared_ptr<Element>;

/// A namespace name, shared by every element in it: a tree of a thousand elements in one
/// namespace holds one copy of the name, not a thousand (a long name repeated by many small
/// elements would otherwise multiply what a peer sent many times over). Null means empty.
using Namespace = std::shared_ptr<const std::string>;
Namespace make_namespace(std::string name);

/// A child node: an element or a run of character data (unescaped).
using Node = std::variant<ElementPtr, std::string>;

/// One element with its namespace, attributes and children. Mutable while it is being built or
/// rewritten; once routed it is shared as `std::shared_ptr<const Element>` (see Stanza).
class Element {
public:
    Element() = default;
    Element(std::string name, std::string xmlns)
        : name_(std::move(name)), xmlns_(make_namespace(std::move(xmlns))) {}
    Element(std::string name, Namespace xmlns) : name_(std::move(name)), xmlns_(std::move(xmlns)) {}

    const std::string& name() const { return name_; }
    const std::string& xmlns() const;
    const Namespace& shared_xmlns() const { return xmlns_; }
    void set_name(std::string name) { name_ = std::move(name); }
    void set_xmlns(std::string xmlns) { xmlns_ = make_namespace(std::move(xmlns)); }

    const std::vector<Attribute>& attributes() const { return attrs_; }
    /// The attribute's value, or an empty view when absent.
    std::string_view attr(std::string_view name) const;
    bool has_attr(std::string_view name) const;
    /// Sets (replacing) an attribute; returns *this so builders chain.
    Element& set_attr(std::string_view name, std::string_view value);
    void remove_attr(std::string_view name);

    const std::vector<Node>& children() const { return children_; }
    /// Appends a new child element and returns it; a child in the parent's namespace passes
    /// xmlns empty and inherits it (the parent's namespace is copied in, as it is for an added
    /// ElementPtr whose xmlns is empty). An empty xmlns left on a top-level element means "the
    /// namespace in force where it is written" to the serializer.
    Element& add_child(std::string name, std::string xmlns = {});
    /// As above, sharing `xmlns` (null: the parent's).
    Element& add_child(std::string name, Namespace xmlns);
    Element& add_child(ElementPtr child);
    void add_text(std::string_view text);
    void clear_children() { children_.clear(); }
    /// Removes every child element with this name and namespace (any namespace when xmlns is
    /// empty, as for child()).
    void remove_children(std::string_view name, std::string_view xmlns);

    /// The first child element with this name (any namespace when xmlns is empty), or nullptr.
    const Element* child(std::string_view name, std::string_view xmlns = {}) const;
    Element* child(std::string_view name, std::string_view xmlns = {});
    /// The first child element in any name, or nullptr.
    const Element* first_child_element() const;
    std::vector<const Element*> child_elements() const;
    /// The concatenated character data directly inside this element.
    std::string text() const;
    /// The text of the first child with this name, or empty.
    std::string child_text(std::string_view name, std::string_view xmlns = {}) const;

    /// A deep copy, for rewriting a shared stanza.
    ElementPtr clone() const;

private:
    std::string name_;
    Namespace xmlns_;
    std::vector<Attribute> attrs_;
    std::vector<Node> children_;
};

ElementPtr make_element(std::string name, std::string xmlns);

}  // namespace starling::xml
