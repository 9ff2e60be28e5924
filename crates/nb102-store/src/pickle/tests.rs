//! The pickle machine on pickles made by hand and by fuzzing: values, nesting limits, memo bounds.

mod decoding {
    use crate::pickle::*;

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    /// `{'data': np.arange(6, dtype=np.uint8).reshape(2, 3), 'labels': [1, 2]}` pickled by numpy 2 / Python 3.11:
    /// with protocol 2 (the array's bytes through `_codecs.encode`), protocol 5 (`_frombuffer` of a
    /// `bytearray8`), and protocol 2 with Python 2 strings for the keys and the data (`SHORT_BINSTRING`), as the
    /// CIFAR and ImageNet16 batches are written.
    #[test]
    fn numpy_arrays_in_three_pickle_dialects() {
        let py3 = "80027d7100285804000000646174617101636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374\
                   727563740a7102636e756d70790a6e6461727261790a71034b00857104635f636f646563730a656e636f64650a71055801\
                   00000062710658060000006c6174696e31710786710852710987710a52710b284b014b024b0386710c636e756d70790a64\
                   747970650a710d58020000007531710e898887710f527110284b0358010000007c71114e4e4e4affffffff4affffffff4b\
                   00747112628968055806000000000102030405711368078671145271157471166258060000006c6162656c7371175d71\
                   18284b014b0265752e";
        let py5 = "80059598000000000000007d94288c0464617461948c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f\
                   6d62756666657294939428960600000000000000000102030405948c056e756d7079948c0564747970659493948c0275\
                   3194898887945294284b038c017c944e4e4e4affffffff4affffffff4b007494624b024b0386948c014394749452948c\
                   066c6162656c73945d94284b014b0265752e";
        let py2 = "80027d7100285504646174617101636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563\
                   740a7102636e756d70790a6e6461727261790a71034b008571045501627105877106527107284b014b024b0386710863\
                   6e756d70790a64747970650a710958020000007531710a898887710b52710c284b0358010000007c710d4e4e4e4affff\
                   ffff4affffffff4b0074710e62895506000102030405710f7471106255066c6162656c7371115d7112284b014b0265752e";
        for hex in [py3, py5, py2] {
            let value = unpickle(&bytes(&hex.replace(' ', ""))).unwrap();
            let array = value.get("data").and_then(PyValue::ndarray).expect("an array");
            assert_eq!(array.dtype, "u1");
            assert_eq!(array.shape, [PyValue::Int(2), PyValue::Int(3)]);
            assert_eq!(array.data, [0, 1, 2, 3, 4, 5]);
            assert_eq!(value.get("labels"), Some(&PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])));
        }
    }
}

mod depth_tests {
    use crate::pickle::*;

    fn refused(data: &[u8]) -> String {
        unpickle(data).expect_err("refused").message
    }

    /// 200,000 nested lists (`]` 200,000 times, then as many APPENDs): refused, not a stack overflow.
    #[test]
    fn deep_nesting_is_refused() {
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', 200_000));
        data.extend(std::iter::repeat_n(b'a', 199_999));
        data.push(b'.');
        assert_eq!(refused(&data), format!("containers nested more than {MAX_DEPTH} deep"));

        // The same through the memo: x = [], then x = [x] again and again.
        let mut data = b"\x80\x02]q\x00".to_vec();
        for _ in 0..200_000 {
            data.extend_from_slice(b"]h\x00aq\x00"); // [], x, APPEND, x = the new list
        }
        data.extend_from_slice(b"h\x00.");
        let message = refused(&data);
        assert!(message.contains("nested more than"), "{message}");

        // As deep as allowed is read.
        let mut data = b"\x80\x02".to_vec();
        data.extend(std::iter::repeat_n(b']', MAX_DEPTH as usize));
        data.extend(std::iter::repeat_n(b'a', MAX_DEPTH as usize - 1));
        data.push(b'.');
        assert!(matches!(unpickle(&data), Ok(PyValue::List(_))));
    }
}

mod fuzz_findings {
    use crate::pickle::*;

    /// Found by the pickle fuzz target: TUPLE3 taking items from below a mark, then a pop to that mark.
    #[test]
    fn a_tuple_across_a_mark_is_refused() {
        let data = b"]]]]]]]]\x87(\x89\x94\x94\x94\x87\x94]\x87\x87\x94\x94\x94\x94\x90_.i.";
        assert_eq!(unpickle(data).unwrap_err().message, "a tuple of items across a mark");
    }
}

mod memo_bounds {
    use crate::pickle::*;

    /// LONG_BINPUT and LONG_BINGET of slot 2^32 - 1 in 13 bytes: refused before any table grows with the slot.
    #[test]
    fn a_crafted_memo_slot_allocates_nothing() {
        let data = b"\x80\x02]r\xff\xff\xff\xffj\xff\xff\xff\xff.";
        let message = memo_reach(data, 0).err().unwrap().message;
        assert!(message.starts_with("memo slot 4294967295, beyond the"), "{message}");
    }
}
