//! `#[derive(Persistable)]` for the `jangada` crate.
//!
//! Implements `jangada::IntoValue`, `jangada::FromValue`, `jangada::PropCopy` and
//! `jangada::Persistable` for a struct with named fields, plus `Default` and one checked
//! setter `set_<field>` per property. See the `jangada` crate for the attributes:
//!
//! - on the struct: `#[jangada(class = "module.Name")]` (default: `module_path!()` and the
//!   type name, `::` turned into `.`), `#[jangada(extension = ".h5")]`,
//!   `#[jangada(no_default)]` (do not generate `impl Default`), `#[jangada(no_handle)]` (do not
//!   generate the `<Name>Handle` accessor trait, whose field types must implement
//!   `jangada::LazyField`);
//! - on a field: `default = EXPR` (a string literal holds the expression's source, e.g.
//!   `default = "\"text\""`), `default_fn = path`, `copiable = false`, `writeonce`,
//!   `parser = path` (`fn(T) -> Result<T, E: ToString>`), `rename = "name"`, `skip`, and for
//!   array fields `compression = "shuffle,zstd:3"` (a filter pipeline in
//!   `jangada::Compression`'s text form, checked when the object is saved; an integer
//!   `0..=9` is deflate with shuffle) and `chunks = [100, 10]`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Expr, ExprLit, Fields, Ident, Lit, LitStr, Type};

/// Derives `jangada::Persistable` (and its companion traits) for a struct with named fields.
#[proc_macro_derive(Persistable, attributes(jangada))]
pub fn derive_persistable(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Default)]
struct ContainerAttrs {
    class: Option<LitStr>,
    extension: Option<LitStr>,
    no_default: bool,
    no_handle: bool,
}

enum DefaultKind {
    None,
    Expr(Expr),
    Fn(syn::Path),
}

struct FieldSpec {
    ident: Ident,
    ty: Type,
    name: String,
    default: DefaultKind,
    copiable: bool,
    writeonce: bool,
    parser: Option<syn::Path>,
    skip: bool,
    /// The filter pipeline of an array property (`jangada::Compression`'s text form).
    compression: Option<String>,
    /// Chunk shape for an array property.
    chunks: Vec<u64>,
}

/// `chunks = [100, 10]` or `chunks = "100, 10"`.
fn parse_chunks(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Vec<u64>> {
    let expr: Expr = meta.value()?.parse()?;
    let bad = |span| {
        syn::Error::new(
            span,
            "chunks must be positive integers: `chunks = [100, 10]`",
        )
    };
    let dims: Vec<u64> = match &expr {
        Expr::Array(a) => a
            .elems
            .iter()
            .map(|e| match e {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(i), ..
                }) => i.base10_parse::<u64>(),
                other => Err(bad(other.span())),
            })
            .collect::<syn::Result<_>>()?,
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s
            .value()
            .split(',')
            .map(|t| t.trim().parse::<u64>().map_err(|_| bad(s.span())))
            .collect::<syn::Result<_>>()?,
        other => return Err(bad(other.span())),
    };
    if dims.is_empty() || dims.contains(&0) {
        return Err(bad(expr.span()));
    }
    Ok(dims)
}

fn parse_container(input: &DeriveInput) -> syn::Result<ContainerAttrs> {
    let mut out = ContainerAttrs::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("jangada")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("class") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    return Err(syn::Error::new(lit.span(), "the class name cannot be empty"));
                }
                out.class = Some(lit);
            } else if meta.path.is_ident("extension") {
                let lit: LitStr = meta.value()?.parse()?;
                if !lit.value().starts_with('.') {
                    return Err(syn::Error::new(
                        lit.span(),
                        "the extension must start with a dot, e.g. \".h5\"",
                    ));
                }
                out.extension = Some(lit);
            } else if meta.path.is_ident("no_default") {
                out.no_default = true;
            } else if meta.path.is_ident("no_handle") {
                out.no_handle = true;
            } else {
                return Err(meta.error(
                    "unknown jangada attribute on a struct (expected `class`, `extension`, `no_default` or `no_handle`)",
                ));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

fn parse_bool(meta: &syn::meta::ParseNestedMeta) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) {
        let lit: syn::LitBool = meta.value()?.parse()?;
        Ok(lit.value)
    } else {
        Ok(true)
    }
}

fn parse_field(field: &syn::Field) -> syn::Result<FieldSpec> {
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(field.span(), "Persistable needs named fields"))?;
    let mut spec = FieldSpec {
        name: ident.to_string().trim_start_matches("r#").to_string(),
        ident,
        ty: field.ty.clone(),
        default: DefaultKind::None,
        copiable: true,
        writeonce: false,
        parser: None,
        skip: false,
        compression: None,
        chunks: Vec::new(),
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("jangada")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                if !matches!(spec.default, DefaultKind::None) {
                    return Err(meta.error("duplicate default"));
                }
                let expr: Expr = meta.value()?.parse()?;
                let expr = match expr {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => {
                        let inner: Expr = s.parse()?;
                        // Keep the literal's span so type errors point at the attribute.
                        syn::parse2(respan(quote!(#inner), s.span()))?
                    }
                    other => other,
                };
                spec.default = DefaultKind::Expr(expr);
            } else if meta.path.is_ident("default_fn") {
                if !matches!(spec.default, DefaultKind::None) {
                    return Err(meta.error("duplicate default"));
                }
                let path: syn::Path = meta.value()?.parse()?;
                spec.default = DefaultKind::Fn(path);
            } else if meta.path.is_ident("copiable") {
                spec.copiable = parse_bool(&meta)?;
            } else if meta.path.is_ident("writeonce") {
                spec.writeonce = parse_bool(&meta)?;
            } else if meta.path.is_ident("parser") {
                spec.parser = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("rename") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() || lit.value().contains(['/', '.']) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "a property name cannot be empty or contain `/` or `.`",
                    ));
                }
                spec.name = lit.value();
            } else if meta.path.is_ident("skip") {
                spec.skip = parse_bool(&meta)?;
            } else if meta.path.is_ident("compression") {
                let lit: syn::Lit = meta.value()?.parse()?;
                spec.compression = Some(match &lit {
                    syn::Lit::Int(int) => {
                        let level: u32 = int.base10_parse()?;
                        if level > 9 {
                            return Err(syn::Error::new(
                                int.span(),
                                "deflate levels go from 0 to 9",
                            ));
                        }
                        format!("shuffle,gzip:{level}")
                    }
                    syn::Lit::Str(s) if !s.value().trim().is_empty() => s.value(),
                    _ => {
                        return Err(syn::Error::new(
                            lit.span(),
                            "compression is a deflate level (0-9) or a filter pipeline such \
                             as \"shuffle,zstd:3\"",
                        ))
                    }
                });
            } else if meta.path.is_ident("chunks") {
                spec.chunks = parse_chunks(&meta)?;
            } else {
                return Err(meta.error(
                    "unknown jangada attribute on a field (expected `default`, `default_fn`, \
                     `copiable`, `writeonce`, `parser`, `rename`, `skip`, `compression` or \
                     `chunks`)",
                ));
            }
            Ok(())
        })?;
    }
    if spec.skip && (spec.writeonce || spec.parser.is_some() || !spec.copiable) {
        return Err(syn::Error::new(
            field.span(),
            "a `skip` field is not a property: `writeonce`, `parser` and `copiable` do not apply",
        ));
    }
    if spec.name.starts_with("__") {
        return Err(syn::Error::new(
            field.span(),
            "property names starting with `__` are reserved by jangada (`__class__`, ...)",
        ));
    }
    Ok(spec)
}

fn respan(ts: TokenStream2, span: Span) -> TokenStream2 {
    ts.into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                tt = proc_macro2::TokenTree::Group(ng);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            input.generics.span(),
            "Persistable cannot be derived for generic types",
        ));
    }
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(f) => &f.named,
            Fields::Unit => {
                return Err(syn::Error::new(
                    name.span(),
                    "Persistable needs a struct with named fields (write `struct X {}`)",
                ))
            }
            Fields::Unnamed(_) => {
                return Err(syn::Error::new(
                    name.span(),
                    "Persistable needs a struct with named fields",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new(
                name.span(),
                "Persistable can only be derived for structs",
            ))
        }
    };
    let attrs = parse_container(input)?;
    let specs = fields
        .iter()
        .map(parse_field)
        .collect::<syn::Result<Vec<_>>>()?;
    let mut seen = std::collections::BTreeSet::new();
    for s in specs.iter().filter(|s| !s.skip) {
        if !seen.insert(s.name.clone()) {
            return Err(syn::Error::new(
                s.ident.span(),
                format!("two fields are stored as the property {:?}", s.name),
            ));
        }
    }

    let vis = &input.vis;
    let jd = quote!(::jangada);

    let class_consts = match &attrs.class {
        Some(lit) => quote! { const __JANGADA_CLASS: &str = #lit; },
        None => {
            let type_name = LitStr::new(&name.to_string(), name.span());
            quote! {
                const __JANGADA_RAW: &str = ::core::concat!(::core::module_path!(), "::", #type_name);
                const __JANGADA_LEN: usize = #jd::__private::dotted_len(__JANGADA_RAW);
                const __JANGADA_BYTES: [u8; __JANGADA_LEN] =
                    #jd::__private::dotted::<__JANGADA_LEN>(__JANGADA_RAW);
                const __JANGADA_CLASS: &str =
                    #jd::__private::as_str(&__JANGADA_BYTES, __JANGADA_RAW);
            }
        }
    };
    let extension = attrs
        .extension
        .as_ref()
        .map(|lit| quote! { const EXTENSION: &'static str = #lit; });

    // One hidden function per field gives its default value (type-checked once, with
    // errors pointing at the attribute).
    let mut default_fns = Vec::new();
    let mut default_calls = Vec::new();
    for s in &specs {
        let ty = &s.ty;
        let fname = format_ident!(
            "__jangada_default_{}",
            s.ident.to_string().trim_start_matches("r#")
        );
        let body = match &s.default {
            DefaultKind::None => quote_spanned! {ty.span()=> ::core::default::Default::default() },
            DefaultKind::Expr(e) => {
                let span = e.span();
                if let Expr::Lit(ExprLit {
                    lit: Lit::Str(_), ..
                }) = e
                {
                    quote_spanned! {span=> ::core::convert::Into::into(#e) }
                } else {
                    quote_spanned! {span=> #e }
                }
            }
            DefaultKind::Fn(p) => quote_spanned! {p.span()=> #p() },
        };
        default_fns.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, clippy::unnecessary_literal_unwrap)]
            fn #fname() -> #ty { #body }
        });
        default_calls.push(quote! { #name::#fname() });
    }

    let props: Vec<(&FieldSpec, &TokenStream2)> = specs
        .iter()
        .zip(default_calls.iter())
        .filter(|(s, _)| !s.skip)
        .collect();

    let prop_infos = props.iter().map(|(s, _)| {
        let pname = &s.name;
        let field = s.ident.to_string();
        let (copiable, writeonce, parser) = (s.copiable, s.writeonce, s.parser.is_some());
        let compression = match &s.compression {
            Some(spec) => quote!(::core::option::Option::Some(#spec)),
            None => quote!(::core::option::Option::None),
        };
        let chunks = &s.chunks;
        quote! {
            #jd::PropInfo { name: #pname, field: #field, copiable: #copiable,
                writeonce: #writeonce, parser: #parser, compression: #compression,
                chunks: &[#(#chunks),*] }
        }
    });

    let to_object = props.iter().filter(|(s, _)| s.copiable).map(|(s, _)| {
        let (f, pname, ty) = (&s.ident, &s.name, &s.ty);
        quote_spanned! {ty.span()=>
            props.insert(::std::string::String::from(#pname),
                <#ty as #jd::IntoValue>::to_value(&self.#f)?);
        }
    });

    let from_object_lets = specs.iter().zip(default_calls.iter()).map(|(s, d)| {
        let (f, pname, ty) = (&s.ident, &s.name, &s.ty);
        let tmp = format_ident!("__jangada_{}", f.to_string().trim_start_matches("r#"));
        if s.skip {
            return quote! { let #tmp: #ty = #d; };
        }
        let parse = s.parser.as_ref().map(|p| {
            quote_spanned! {p.span()=>
                let v: #ty = #p(v).map_err(|e| #jd::__private::invalid(
                    <Self as #jd::Persistable>::CLASS, #pname, e))?;
            }
        });
        quote_spanned! {ty.span()=>
            let #tmp: #ty = match props.remove(#pname) {
                ::core::option::Option::Some(v) => {
                    let v: #ty = <#ty as #jd::FromValue>::from_value(
                        v, &#jd::__private::prop_path(path, #pname))?;
                    #parse
                    v
                }
                ::core::option::Option::None => #d,
            };
        }
    });
    let field_inits = specs.iter().map(|s| {
        let f = &s.ident;
        let tmp = format_ident!("__jangada_{}", f.to_string().trim_start_matches("r#"));
        quote! { #f: #tmp }
    });

    let copy_inits = specs.iter().zip(default_calls.iter()).map(|(s, d)| {
        let (f, ty) = (&s.ident, &s.ty);
        if s.skip || !s.copiable {
            quote! { #f: #d }
        } else {
            quote_spanned! {ty.span()=> #f: <#ty as #jd::PropCopy>::prop_copy(&self.#f) }
        }
    });

    let default_impl = if attrs.no_default {
        None
    } else {
        let inits = specs.iter().zip(default_calls.iter()).map(|(s, d)| {
            let f = &s.ident;
            quote! { #f: #d }
        });
        Some(quote! {
            impl ::core::default::Default for #name {
                fn default() -> Self {
                    Self { #(#inits,)* }
                }
            }
        })
    };

    let setters = props.iter().map(|(s, _)| {
        let (f, pname, ty) = (&s.ident, &s.name, &s.ty);
        let setter = format_ident!("set_{}", f.to_string().trim_start_matches("r#"));
        let doc = format!(
            "Assigns the property `{pname}`{}{}.",
            if s.parser.is_some() {
                " through its parser"
            } else {
                ""
            },
            if s.writeonce {
                " (write-once: refused once it holds a value other than `None`)"
            } else {
                ""
            },
        );
        let check = s.writeonce.then(|| {
            quote! {
                if !#jd::IntoValue::is_none_value(&self.#f) {
                    return ::core::result::Result::Err(#jd::__private::writeonce(
                        <Self as #jd::Persistable>::CLASS, #pname));
                }
            }
        });
        let parse = s.parser.as_ref().map(|p| {
            quote_spanned! {p.span()=>
                let value: #ty = #p(value).map_err(|e| #jd::__private::invalid(
                    <Self as #jd::Persistable>::CLASS, #pname, e))?;
            }
        });
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #vis fn #setter(&mut self, value: #ty) -> #jd::Result<()> {
                #check
                #parse
                self.#f = value;
                ::core::result::Result::Ok(())
            }
        }
    });

    let handle_trait = if attrs.no_handle {
        None
    } else {
        Some(handle_trait(name, vis, &props))
    };

    Ok(quote! {
        #handle_trait

        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #class_consts

            impl #name {
                #(#default_fns)*
                #(#setters)*
            }

            #default_impl

            impl #jd::Persistable for #name {
                const CLASS: &'static str = __JANGADA_CLASS;
                #extension
                const PROPERTIES: &'static [#jd::PropInfo] = &[#(#prop_infos),*];

                fn to_object(&self) -> #jd::Result<#jd::Object> {
                    #[allow(unused_mut)]
                    let mut props = #jd::__private::BTreeMap::new();
                    #(#to_object)*
                    ::core::result::Result::Ok(#jd::Object {
                        class: ::std::string::String::from(<Self as #jd::Persistable>::CLASS),
                        props,
                    })
                }

                fn from_object(obj: #jd::Object, path: &str) -> #jd::Result<Self> {
                    #[allow(unused_mut)]
                    let mut props = obj.props;
                    #(#from_object_lets)*
                    if let ::core::option::Option::Some(k) = props.keys().next() {
                        return ::core::result::Result::Err(#jd::__private::unknown_prop(
                            path, <Self as #jd::Persistable>::CLASS, k));
                    }
                    ::core::result::Result::Ok(Self { #(#field_inits,)* })
                }

                fn copy(&self) -> Self {
                    Self { #(#copy_inits,)* }
                }
            }

            impl #jd::IntoValue for #name {
                fn to_value(&self) -> #jd::Result<#jd::Value> {
                    <Self as #jd::Persistable>::to_object(self).map(#jd::Value::Object)
                }
            }

            impl #jd::FromValue for #name {
                fn from_value(v: #jd::Value, path: &str) -> #jd::Result<Self> {
                    #jd::persistable::object_from_value::<Self>(v, path)
                }
            }

            impl #jd::LazyField for #name {
                type Lazy<'h> = #jd::LazyObject<'h, #name>;
                fn lazy<'h>(
                    obj: &#jd::LazyObject<'h, #jd::Value>,
                    name: &str,
                ) -> #jd::Result<Self::Lazy<'h>> {
                    #jd::handle::lazy_object::<#name>(obj, name)
                }
            }

            impl #jd::PropCopy for #name {
                fn prop_copy(&self) -> Self {
                    <Self as #jd::Persistable>::copy(self)
                }
            }
        };
    })
}

/// The `<Name>Handle` trait: one accessor per saved property (and a checked setter) on
/// every `jangada::ObjectAccess<Class = Name>` (an open `Handle<Name>`, a nested
/// `LazyObject<Name>`).
fn handle_trait(
    name: &Ident,
    vis: &syn::Visibility,
    props: &[(&FieldSpec, &TokenStream2)],
) -> TokenStream2 {
    let jd = quote!(::jangada);
    let trait_name = format_ident!("{}Handle", name);
    let trait_doc = format!(
        "Property accessors of an open `{name}` file (`{name}::open(path, mode)`): arrays and \
         times as lazy `ProxyDataset`s, nested persistable structs as `LazyObject`s, other \
         properties loaded. Generated by `#[derive(Persistable)]`."
    );
    let methods = props.iter().filter(|(s, _)| s.copiable).map(|(s, _)| {
        let (f, pname, ty) = (&s.ident, &s.name, &s.ty);
        let setter = format_ident!("set_{}", f.to_string().trim_start_matches("r#"));
        let get_doc = format!("The property `{pname}` as the open file holds it.");
        let set_doc = format!(
            "Assigns the property `{pname}` in the file{}{}.",
            if s.parser.is_some() {
                " through its parser"
            } else {
                ""
            },
            if s.writeonce { " (write-once)" } else { "" },
        );
        let check = s.writeonce.then(|| {
            quote! {
                __obj.check_writeonce(<#name as #jd::Persistable>::CLASS, #pname)?;
            }
        });
        let parse = s.parser.as_ref().map(|p| {
            quote_spanned! {p.span()=>
                let value: #ty = #p(value).map_err(|e| #jd::__private::invalid(
                    <#name as #jd::Persistable>::CLASS, #pname, e))?;
            }
        });
        quote_spanned! {ty.span()=>
            #[doc = #get_doc]
            fn #f(self) -> #jd::Result<<#ty as #jd::LazyField>::Lazy<'h>> {
                <#ty as #jd::LazyField>::lazy(
                    &#jd::ObjectAccess::lazy_object(self).untyped(), #pname)
            }

            #[doc = #set_doc]
            fn #setter(self, value: #ty) -> #jd::Result<()> {
                let __obj = #jd::ObjectAccess::lazy_object(self);
                #check
                #parse
                __obj.set(#pname, &value)
            }
        }
    });
    quote! {
        #[doc = #trait_doc]
        #[allow(dead_code, clippy::all)]
        #vis trait #trait_name<'h>: #jd::ObjectAccess<'h, Class = #name> {
            #(#methods)*
        }

        impl<'h, __A: #jd::ObjectAccess<'h, Class = #name>> #trait_name<'h> for __A {}
    }
}
