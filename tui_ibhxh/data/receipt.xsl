<?xml version="1.0" encoding="UTF-8"?>
<!--
  tui-ibhxh: BHXH's confirmation of an electronic transaction (form 01/TB-GD) as an HTML page.
  Input: BHXH/XACNHAN_GDICH (I-VAN protocol v1 §6). Every value goes through xsl:value-of, so the serialiser
  escapes it; no disable-output-escaping, no document(), no includes (the stylesheet runs with all file and
  network access denied).
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:ds="http://www.w3.org/2000/09/xmldsig#" exclude-result-prefixes="ds">
  <xsl:output method="html" encoding="UTF-8" indent="no" doctype-system="about:legacy-compat"/>

  <xsl:param name="signature_status" select="''"/>

  <xsl:variable name="tt" select="/BHXH/XACNHAN_GDICH/TTDVI"/>
  <xsl:variable name="gd" select="/BHXH/XACNHAN_GDICH/TTGDICH"/>
  <xsl:variable name="ky" select="/BHXH/XACNHAN_GDICH/TTCKY_BHXH/TTCKY"/>

  <!-- ISO-8601 "2026-11-24T10:15:30+07:00" -> "24/11/2026 10:15:30" (written in Vietnam time) -->
  <xsl:template name="iso-time">
    <xsl:param name="v"/>
    <xsl:value-of select="concat(substring($v, 9, 2), '/', substring($v, 6, 2), '/', substring($v, 1, 4),
                                 ' ', substring($v, 12, 8))"/>
  </xsl:template>

  <xsl:template match="/">
    <html lang="vi">
      <head>
        <title>Thông báo xác nhận giao dịch điện tử - <xsl:value-of select="$gd/MA_GDICH"/></title>
        <style>
          body { font-family: "Times New Roman", serif; max-width: 60em; margin: 2em auto; color: #000; }
          table.header { width: 100%; text-align: center; }
          table.header td { width: 50%; vertical-align: top; }
          .form-no { text-align: right; font-style: italic; }
          h1 { text-align: center; font-size: 1.3em; margin-bottom: 0; }
          h2 { text-align: center; font-size: 1.1em; margin-top: 0.2em; }
          table.gd { width: 100%; border-collapse: collapse; margin: 1em 0; }
          table.gd th, table.gd td { border: 1px solid #000; padding: 0.3em; }
          .accepted { color: #05620f; font-weight: bold; }
          .rejected { color: #a00000; font-weight: bold; }
          .signer { margin-left: 50%; text-align: center; }
        </style>
      </head>
      <body>
        <p class="form-no">Mẫu 01/TB-GD</p>
        <table class="header">
          <tr>
            <td>BẢO HIỂM XÃ HỘI VIỆT NAM<br/><b><xsl:value-of select="$tt/TEN_COQUAN"/></b></td>
            <td><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><b>Độc lập - Tự do - Hạnh phúc</b></td>
          </tr>
          <tr>
            <td>Số: <xsl:value-of select="$gd/SO_HSO"/></td>
            <td><i><xsl:value-of select="$tt/DIADIEM"/>, ngày <xsl:value-of select="substring($tt/NGAY_THONGBAO, 1, 2)"/>
              tháng <xsl:value-of select="substring($tt/NGAY_THONGBAO, 4, 2)"/>
              năm <xsl:value-of select="substring($tt/NGAY_THONGBAO, 7, 4)"/></i></td>
          </tr>
        </table>

        <h1>THÔNG BÁO</h1>
        <h2>Xác nhận giao dịch điện tử</h2>

        <p>Kính gửi: <b><xsl:value-of select="$tt/TEN_DVI"/></b></p>
        <p>Mã đơn vị: <b><xsl:value-of select="$tt/MA_DVI"/></b> — Mã số thuế: <b><xsl:value-of select="$tt/MST"/></b></p>
        <p><xsl:value-of select="$tt/TEN_COQUAN"/> thông báo kết quả tiếp nhận hồ sơ giao dịch điện tử của đơn vị như sau:</p>

        <table class="gd">
          <thead>
            <tr>
              <th>STT</th><th>Tên giao dịch</th><th>Mã loại hồ sơ</th><th>Số hồ sơ</th>
              <th>Mã giao dịch</th><th>Thời gian giao dịch</th><th>Kết quả</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>1</td>
              <td><xsl:value-of select="$gd/TEN_GDICH"/></td>
              <td><xsl:value-of select="$gd/MALOAI_HSO"/></td>
              <td><xsl:value-of select="$gd/SO_HSO"/></td>
              <td><xsl:value-of select="$gd/MA_GDICH"/></td>
              <td><xsl:call-template name="iso-time"><xsl:with-param name="v" select="$gd/NGAY_GDICH"/></xsl:call-template></td>
              <td>
                <xsl:choose>
                  <xsl:when test="normalize-space($gd/MA_KQUA) = '1'"><span class="accepted"><xsl:value-of select="$gd/KQUA"/></span></xsl:when>
                  <xsl:otherwise><span class="rejected"><xsl:value-of select="$gd/KQUA"/></span></xsl:otherwise>
                </xsl:choose>
              </td>
            </tr>
          </tbody>
        </table>

        <p>Kết quả: <b><xsl:value-of select="$gd/KQUA"/></b> (mã kết quả <xsl:value-of select="$gd/MA_KQUA"/>)</p>
        <xsl:if test="string($gd/MA_LOI) != '' or string($gd/MOTA_LOI) != ''">
          <p class="rejected">Lý do: [<xsl:value-of select="$gd/MA_LOI"/>] <xsl:value-of select="$gd/MOTA_LOI"/></p>
        </xsl:if>

        <div class="signer">
          <p><b><xsl:value-of select="$tt/TEN_COQUAN"/></b></p>
          <xsl:if test="$ky">
            <p>Ký bởi: <xsl:value-of select="$ky/SUBJECT"/><br/>
              Số hiệu chứng thư: <xsl:value-of select="$ky/SERIAL"/><br/>
              Thời gian ký: <xsl:call-template name="iso-time"><xsl:with-param name="v" select="$ky/TIME"/></xsl:call-template></p>
          </xsl:if>
          <xsl:if test="$signature_status != ''">
            <p class="sigstatus"><i><xsl:value-of select="$signature_status"/></i></p>
          </xsl:if>
          <xsl:if test="not(/BHXH/ds:Signature)">
            <p><i>(Thông báo không có chữ ký số)</i></p>
          </xsl:if>
        </div>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
